// Sorting the dashboard's tables: numbers and texts, missing values always last.

export type SortDirection = 'ascending' | 'descending';

export interface SortState {
  column: string;
  direction: SortDirection;
}

type Cell = string | number | null | undefined;

/** Compares two cells; `null`/`undefined` ("n.d.") go last whatever the direction. */
export function compareCells(a: Cell, b: Cell, direction: SortDirection): number {
  const missingA = a == null;
  const missingB = b == null;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  const sign = direction === 'ascending' ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  return sign * String(a).localeCompare(String(b), 'it', { sensitivity: 'base', numeric: true });
}

/** A sorted copy (stable: equal cells keep their order). */
export function sortRows<T>(rows: readonly T[], value: (row: T) => Cell, direction: SortDirection): T[] {
  return rows
    .map((row, i) => ({ row, i }))
    .sort((x, y) => compareCells(value(x.row), value(y.row), direction) || x.i - y.i)
    .map((x) => x.row);
}

/** The next state when a column's header is pressed: a new column starts descending for numbers. */
export function nextSort(current: SortState, column: string, numeric: boolean): SortState {
  if (current.column === column) {
    return { column, direction: current.direction === 'ascending' ? 'descending' : 'ascending' };
  }
  return { column, direction: numeric ? 'descending' : 'ascending' };
}
