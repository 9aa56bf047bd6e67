import type { components } from '../../api/schema';

export type BookingRow = components['schemas']['BookingRow'];

const dayFmt = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The Europe/Rome day ("YYYY-MM-DD") of an instant. */
export function romeDay(instant: string): string {
  return dayFmt.format(new Date(instant));
}

export interface AgendaDay {
  day: string;
  counters: { name: string; rows: BookingRow[] }[];
}

/** The agenda's rows by day, then by counter, each in time order. */
export function groupAgenda(rows: BookingRow[]): AgendaDay[] {
  const days = new Map<string, Map<string, BookingRow[]>>();
  const sorted = [...rows].sort((a, b) => a.slot_start.localeCompare(b.slot_start));
  for (const r of sorted) {
    const day = romeDay(r.slot_start);
    const counters = days.get(day) ?? new Map<string, BookingRow[]>();
    days.set(day, counters);
    const name = r.counter_name ?? r.counter_type;
    counters.set(name, [...(counters.get(name) ?? []), r]);
  }
  return [...days.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([day, counters]) => ({
      day,
      counters: [...counters.entries()].sort(([a], [b]) => a.localeCompare(b, 'it')).map(([name, rows]) => ({ name, rows })),
    }));
}

export const MODES: Record<string, string> = {
  in_presenza: 'In presenza',
  ricontatto_telefonico: 'Ricontatto telefonico',
  web_meeting: 'Web meeting',
};
