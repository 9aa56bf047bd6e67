// The auditor's screens: filters, metadata and state comparison, apart from the pages for tests.

export const FILTERS = ['from_position', 'to_position', 'from_time', 'to_time', 'event_type', 'actor', 'stream_type'] as const;
export type Filter = (typeof FILTERS)[number];

/** A datetime-local value ("2026-12-07T10:30", the browser's zone) as RFC 3339; "" stays "". */
export function localToRfc3339(v: string): string {
  if (!v) return '';
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/** The API query of the URL's filters (times already RFC 3339 in the URL). */
export function auditQuery(p: URLSearchParams, cursor?: string): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of FILTERS) {
    const v = p.get(k)?.trim();
    if (v) q[k] = v;
  }
  if (cursor) q.cursor = cursor;
  return q;
}

const META_LABELS: [string, string][] = [
  ['actor_id', 'Attore'],
  ['actor_role', 'Ruolo'],
  ['patronato', 'Patronato'],
  ['office', 'Ufficio'],
  ['sede', 'Sede'],
  ['command', 'Comando'],
  ['correlation_id', 'Correlazione'],
  ['causation_id', 'Causa'],
  ['idempotency_key', 'Chiave di idempotenza'],
];

/** The metadata an auditor reads, labelled in Italian, in a fixed order; unknown keys after. */
export function metadataRows(meta: Record<string, unknown> | null | undefined): [string, string][] {
  const m = meta ?? {};
  const rows: [string, string][] = [];
  const seen = new Set<string>();
  for (const [k, label] of META_LABELS) {
    seen.add(k);
    const v = m[k];
    if (v !== undefined && v !== null && v !== '') rows.push([label, String(v)]);
  }
  for (const [k, v] of Object.entries(m)) {
    if (!seen.has(k) && v !== undefined && v !== null && v !== '') rows.push([k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
  }
  return rows;
}

export interface StateRow {
  field: string;
  then: string;
  now: string;
  changed: boolean;
}

function show(v: unknown): string {
  if (v === undefined) return '–';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** The request's state then and now, field by field (the aggregate's top-level fields). */
export function compareStates(then: Record<string, unknown>, now: Record<string, unknown>): StateRow[] {
  const keys = [...new Set([...Object.keys(then), ...Object.keys(now)])].sort();
  return keys.map((field) => {
    const a = show(then[field]);
    const b = show(now[field]);
    return { field, then: a, now: b, changed: a !== b };
  });
}
