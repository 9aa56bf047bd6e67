// The month grid of the booking calendar: weeks from Monday, blanks before the 1st and after the last.

export interface GridDay<T> {
  date: string;
  day: number;
  item: T;
}

/** ISO weekday (1 = Monday … 7 = Sunday) of a "YYYY-MM-DD" calendar date, without zone shifts. */
export function isoWeekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number);
  const wd = new Date(Date.UTC(y!, m! - 1, d!)).getUTCDay();
  return wd === 0 ? 7 : wd;
}

export function weeks<T extends { date: string }>(days: T[]): (GridDay<T> | null)[][] {
  if (days.length === 0) return [];
  const cells: (GridDay<T> | null)[] = Array.from({ length: isoWeekday(days[0]!.date) - 1 }, () => null);
  for (const item of days) cells.push({ date: item.date, day: Number(item.date.slice(8, 10)), item });
  while (cells.length % 7 !== 0) cells.push(null);
  const out: (GridDay<T> | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) out.push(cells.slice(i, i + 7));
  return out;
}

/** "2026-12" → "2027-01" (delta +1) or "2026-11" (delta -1). */
export function shiftMonth(month: string, delta: number): string {
  const [y, m] = month.split('-').map(Number);
  const t = y! * 12 + (m! - 1) + delta;
  return `${Math.floor(t / 12)}-${String((t % 12) + 1).padStart(2, '0')}`;
}

const MONTHS = ['gennaio', 'febbraio', 'marzo', 'aprile', 'maggio', 'giugno', 'luglio', 'agosto', 'settembre', 'ottobre', 'novembre', 'dicembre'];

/** "2026-12" → "dicembre 2026" */
export function monthName(month: string): string {
  const [y, m] = month.split('-').map(Number);
  return `${MONTHS[m! - 1]} ${y}`;
}
