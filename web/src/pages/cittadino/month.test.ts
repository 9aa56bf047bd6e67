import { describe, expect, it } from 'vitest';
import { isoWeekday, monthName, shiftMonth, weeks } from './month';

describe('month grid', () => {
  it('starts on Monday with blanks before the 1st', () => {
    // 1 December 2026 is a Tuesday.
    expect(isoWeekday('2026-12-01')).toBe(2);
    const days = Array.from({ length: 31 }, (_, i) => ({ date: `2026-12-${String(i + 1).padStart(2, '0')}` }));
    const grid = weeks(days);
    expect(grid[0]![0]).toBeNull();
    expect(grid[0]![1]!.day).toBe(1);
    expect(grid.every((w) => w.length === 7)).toBe(true);
    expect(grid.flat().filter(Boolean)).toHaveLength(31);
  });
  it('moves across years', () => {
    expect(shiftMonth('2026-12', 1)).toBe('2027-01');
    expect(shiftMonth('2027-01', -1)).toBe('2026-12');
    expect(monthName('2026-12')).toBe('dicembre 2026');
  });
});
