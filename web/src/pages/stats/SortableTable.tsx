import type { ReactNode } from 'react';
import { nextSort, sortRows, type SortState } from './sort';

export interface Column<T> {
  id: string;
  label: string;
  /** The value sorted on (null: "n.d.", sorted last). */
  value: (row: T) => string | number | null | undefined;
  /** How the cell shows it; the value as text by default. */
  render?: (row: T) => ReactNode;
  numeric?: boolean;
}

interface Props<T> {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Kept by the page, so that a chart can follow the table's order. */
  sort: SortState;
  onSort: (next: SortState) => void;
  /** A last row outside the sorting ("Italia"). */
  footer?: T;
  id?: string;
}

/** The rows in the order the table shows them. */
export function sortedBy<T>(rows: T[], columns: Column<T>[], sort: SortState): T[] {
  const column = columns.find((c) => c.id === sort.column) ?? columns[0]!;
  return sortRows(rows, column.value, sort.direction);
}

/**
 * A table sorted by pressing a column's header: the header is a button (keyboard, screen readers),
 * `aria-sort` says which column and which way; the row headers are the first column.
 */
export function SortableTable<T>({ caption, columns, rows, rowKey, sort, onSort, footer, id }: Props<T>) {
  const sorted = sortedBy(rows, columns, sort);
  const cell = (c: Column<T>, row: T) => (c.render ? c.render(row) : String(c.value(row) ?? 'n.d.'));
  const line = (row: T, key: string) => (
    <tr key={key}>
      {columns.map((c, i) =>
        i === 0 ? (
          <th key={c.id} scope="row" className="fw-normal">{cell(c, row)}</th>
        ) : (
          <td key={c.id} className={c.numeric ? 'text-end' : undefined}>{cell(c, row)}</td>
        ),
      )}
    </tr>
  );
  return (
    <div className="table-responsive">
      <table className="table table-sm sortable-table" id={id}>
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = c.id === sort.column;
              return (
                <th key={c.id} scope="col" aria-sort={active ? sort.direction : undefined} className={c.numeric ? 'text-end' : undefined}>
                  <button type="button" className="btn btn-link p-0 text-start fw-semibold sort-button" onClick={() => onSort(nextSort(sort, c.id, !!c.numeric))}>
                    {c.label}
                    <span aria-hidden="true" className="ms-1">{active ? (sort.direction === 'ascending' ? '▲' : '▼') : '↕'}</span>
                  </button>
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>{sorted.map((row) => line(row, rowKey(row)))}</tbody>
        {footer && <tfoot>{line(footer, 'footer')}</tfoot>}
      </table>
    </div>
  );
}
