import { describe, expect, it } from 'vitest';
import { formatDate, formatDateTime, formatHours, formatIsoDay, formatTime, romeToday } from './format';

describe('dates in Europe/Rome', () => {
  it('shows a winter instant one hour ahead of UTC', () => {
    expect(formatDateTime('2026-12-08T09:31:00Z')).toBe('08/12/2026 alle 10:31');
  });
  it('shows a summer instant two hours ahead, across midnight', () => {
    expect(formatDate('2026-07-01T22:30:00Z')).toBe('02/07/2026');
    expect(formatTime('2026-07-01T22:30:00Z')).toBe('00:30');
  });
  it("takes today's date in Rome, not in UTC", () => {
    expect(romeToday(new Date('2026-12-31T23:30:00Z'))).toBe('2027-01-01');
  });
  it('leaves a calendar day of the API unshifted', () => {
    expect(formatIsoDay('2026-03-29')).toBe('29/03/2026');
  });
  it('shows nothing for a missing or broken value', () => {
    expect(formatDateTime(null)).toBe('');
    expect(formatDate('not a date')).toBe('');
  });
});

describe('durations', () => {
  it('uses minutes, hours or days by size', () => {
    expect(formatHours(0.5)).toBe('30 min');
    expect(formatHours(3.25)).toBe('3 h 15 min');
    expect(formatHours(50)).toBe('2 g 2 h');
    expect(formatHours(null)).toBe('–');
  });
});
