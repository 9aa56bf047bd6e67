import { describe, expect, it } from 'vitest';
import { groupAgenda, romeDay, type BookingRow } from './agenda';

function row(start: string, counter: string, code: string): BookingRow {
  return {
    authenticated: false, booker_kind: 'citizen', booking_id: code, code, confirmed_at: start, counter_name: counter,
    counter_type: counter.toLowerCase(), sede_code: '3201', slot_start: start, slot_end: start, status: 'confirmed',
  } as BookingRow;
}

describe('agenda', () => {
  it('takes the day in Rome, not in UTC', () => {
    expect(romeDay('2026-12-07T23:30:00Z')).toBe('2026-12-08');
  });

  it('groups by day and counter, in time order', () => {
    const g = groupAgenda([
      row('2026-12-09T09:00:00Z', 'Sportello veloce', 'C'),
      row('2026-12-08T10:00:00Z', 'Sportello veloce', 'B'),
      row('2026-12-08T08:00:00Z', 'Sportello veloce', 'A'),
      row('2026-12-08T09:00:00Z', 'Reception', 'R'),
    ]);
    expect(g.map((d) => d.day)).toEqual(['2026-12-08', '2026-12-09']);
    expect(g[0]!.counters.map((c) => c.name)).toEqual(['Reception', 'Sportello veloce']);
    expect(g[0]!.counters[1]!.rows.map((r) => r.code)).toEqual(['A', 'B']);
  });
});
