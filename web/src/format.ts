// Dates and times as Italian users read them, always in Europe/Rome whatever the browser's zone.
const TZ = 'Europe/Rome';

const dateFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, day: '2-digit', month: '2-digit', year: 'numeric' });
const timeFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const longDateFmt = new Intl.DateTimeFormat('it-IT', { timeZone: TZ, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

function toDate(v: string | Date): Date | null {
  const d = typeof v === 'string' ? new Date(v) : v;
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "08/12/2026" */
export function formatDate(v: string | Date | null | undefined): string {
  const d = v == null ? null : toDate(v);
  return d ? dateFmt.format(d) : '';
}

/** "10:31" */
export function formatTime(v: string | Date | null | undefined): string {
  const d = v == null ? null : toDate(v);
  return d ? timeFmt.format(d) : '';
}

/** "08/12/2026 alle 10:31" */
export function formatDateTime(v: string | Date | null | undefined): string {
  const d = v == null ? null : toDate(v);
  return d ? `${dateFmt.format(d)} alle ${timeFmt.format(d)}` : '';
}

/** "martedì 8 dicembre 2026" */
export function formatLongDate(v: string | Date | null | undefined): string {
  const d = v == null ? null : toDate(v);
  return d ? longDateFmt.format(d) : '';
}

/** A calendar date of the API ("2026-12-08", already Europe/Rome) as "08/12/2026", without zone shifts. */
export function formatIsoDay(day: string | null | undefined): string {
  const m = day ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(day) : null;
  return m ? `${m[3]}/${m[2]}/${m[1]}` : (day ?? '');
}

/** Today's date in Europe/Rome as "YYYY-MM-DD" (for date inputs and API filters). */
export function romeToday(now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  return parts; // en-CA formats as YYYY-MM-DD
}

/** Hours as "3 h 20 min" or "2 g 4 h" for indicators. */
export function formatHours(h: number | null | undefined): string {
  if (h == null || !Number.isFinite(h)) return '–';
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) {
    const whole = Math.floor(h);
    const min = Math.round((h - whole) * 60);
    return min ? `${whole} h ${min} min` : `${whole} h`;
  }
  const days = Math.floor(h / 24);
  const rest = Math.round(h - days * 24);
  return rest ? `${days} g ${rest} h` : `${days} g`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toLocaleString('it-IT', { maximumFractionDigits: 1 })} kB`;
  return `${(n / 1024 / 1024).toLocaleString('it-IT', { maximumFractionDigits: 1 })} MB`;
}
