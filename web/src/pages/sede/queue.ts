import type { components } from '../../api/schema';

export type QueueView = components['schemas']['QueueView'];

/** Refresh period of the queue console. */
export const POLL_MS = 5000;

/** Seconds as "4 min 10 s", "45 s"; "–" before the first figure of the day. */
export function formatSeconds(s: number | null | undefined): string {
  if (s == null || !Number.isFinite(s)) return '–';
  const total = Math.round(s);
  if (total < 60) return `${total} s`;
  const min = Math.floor(total / 60);
  const sec = total % 60;
  return sec ? `${min} min ${sec} s` : `${min} min`;
}

/**
 * The sentence read out by the live region: only the waiting count and the ticket being served,
 * so that a refresh that changes nothing (or only the averages) says nothing.
 */
export function queueAnnouncement(q: QueueView | undefined): string {
  if (!q) return '';
  const people = q.waiting === 1 ? '1 persona' : `${q.waiting} persone`;
  const serving = q.now_serving != null ? ` Ora serviamo il numero ${q.now_serving}.` : '';
  return `In coda ${people}.${serving}`;
}
