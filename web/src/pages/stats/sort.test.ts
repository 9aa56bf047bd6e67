import { describe, expect, it } from 'vitest';
import { compareCells, nextSort, sortRows } from './sort';

describe('sorting the dashboard tables', () => {
  it('puts missing values last in both directions', () => {
    const rows = [{ v: 2 }, { v: null }, { v: 10 }, { v: 1 }];
    expect(sortRows(rows, (r) => r.v, 'ascending').map((r) => r.v)).toEqual([1, 2, 10, null]);
    expect(sortRows(rows, (r) => r.v, 'descending').map((r) => r.v)).toEqual([10, 2, 1, null]);
  });

  it('orders Italian names as a reader expects, accents and case aside', () => {
    const names = ['Valle d’Aosta', 'abruzzo', 'DCM Milano', 'Emilia-Romagna'];
    expect(sortRows(names, (n) => n, 'ascending')).toEqual(['abruzzo', 'DCM Milano', 'Emilia-Romagna', 'Valle d’Aosta']);
  });

  it('keeps equal rows in their order', () => {
    const rows = [{ k: 'a', v: 1 }, { k: 'b', v: 1 }, { k: 'c', v: 0 }];
    expect(sortRows(rows, (r) => r.v, 'descending').map((r) => r.k)).toEqual(['a', 'b', 'c']);
    expect(compareCells(3, 3, 'ascending')).toBe(0);
  });

  it('toggles the direction of the same column and starts numbers from the largest', () => {
    const s = nextSort({ column: 'nome', direction: 'ascending' }, 'inviate', true);
    expect(s).toEqual({ column: 'inviate', direction: 'descending' });
    expect(nextSort(s, 'inviate', true)).toEqual({ column: 'inviate', direction: 'ascending' });
    expect(nextSort(s, 'nome', false)).toEqual({ column: 'nome', direction: 'ascending' });
  });
});
