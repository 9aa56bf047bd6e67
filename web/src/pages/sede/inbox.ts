// The inbox's buckets and filters, kept apart from the page so that they can be tested alone.

export const BUCKETS = [
  { value: 'new', label: 'Nuove' },
  { value: 'in_charge', label: 'In carico' },
  { value: 'awaiting_reply', label: 'In attesa di risposta' },
  { value: 'overdue', label: 'Scadute oltre 15 giorni' },
  { value: 'all', label: 'Tutte' },
] as const;
export type Bucket = (typeof BUCKETS)[number]['value'];

export const FILTERS = ['sent_from', 'sent_to', 'subject', 'protocol', 'codice_fiscale', 'status'] as const;

export function bucketOf(p: URLSearchParams): Bucket {
  const b = p.get('bucket');
  return BUCKETS.find((x) => x.value === b)?.value ?? 'new';
}

/** The API query of the URL's filters (the URL keeps them across reloads and the back button). */
export function inboxQuery(p: URLSearchParams, bucket: Bucket, cursor?: string): Record<string, string> {
  const q: Record<string, string> = { bucket };
  for (const k of FILTERS) {
    const v = p.get(k)?.trim();
    if (v) q[k] = k === 'codice_fiscale' ? v.toUpperCase() : v;
  }
  if (cursor) q.cursor = cursor;
  return q;
}
