import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { SortableTable, type Column } from './SortableTable';
import type { SortState } from './sort';

interface Row { name: string; sent: number; share: number | null }

const COLUMNS: Column<Row>[] = [
  { id: 'name', label: 'Regione', value: (r) => r.name },
  { id: 'sent', label: 'Inviate', value: (r) => r.sent, numeric: true },
  { id: 'share', label: 'Quota', value: (r) => r.share, render: (r) => (r.share == null ? 'n.d.' : `${r.share * 100}%`), numeric: true },
];

const ROWS: Row[] = [
  { name: 'Lazio', sent: 3, share: 0.5 },
  { name: 'DCM Roma', sent: 10, share: null },
  { name: 'Abruzzo', sent: 1, share: 1 },
];

function Harness() {
  const [sort, setSort] = useState<SortState>({ column: 'name', direction: 'ascending' });
  return <SortableTable caption="Tabella" columns={COLUMNS} rows={ROWS} rowKey={(r) => r.name} sort={sort} onSort={setSort} footer={{ name: 'Italia', sent: 14, share: null }} />;
}

const firstColumn = () => within(screen.getByRole('table')).getAllByRole('rowheader').map((h) => h.textContent);

describe('SortableTable', () => {
  it('sorts by a header pressed, says so with aria-sort, and keeps the total last', () => {
    render(<Harness />);
    expect(firstColumn()).toEqual(['Abruzzo', 'DCM Roma', 'Lazio', 'Italia']);
    const sent = screen.getByRole('columnheader', { name: /Inviate/ });
    expect(sent.getAttribute('aria-sort')).toBeNull();
    fireEvent.click(within(sent).getByRole('button'));
    expect(sent.getAttribute('aria-sort')).toBe('descending');
    expect(firstColumn()).toEqual(['DCM Roma', 'Lazio', 'Abruzzo', 'Italia']);
    expect(screen.getByRole('columnheader', { name: /Regione/ }).getAttribute('aria-sort')).toBeNull();
    // A missing share is last in both directions.
    const share = screen.getByRole('columnheader', { name: /Quota/ });
    fireEvent.click(within(share).getByRole('button'));
    expect(firstColumn()).toEqual(['Abruzzo', 'Lazio', 'DCM Roma', 'Italia']);
    fireEvent.click(within(share).getByRole('button'));
    expect(share.getAttribute('aria-sort')).toBe('ascending');
    expect(firstColumn()).toEqual(['Lazio', 'Abruzzo', 'DCM Roma', 'Italia']);
  });
});
