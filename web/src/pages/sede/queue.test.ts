import { describe, expect, it } from 'vitest';
import { formatSeconds, queueAnnouncement, type QueueView } from './queue';

const base: QueueView = {
  counter: 'servizi_veloci', date: '2026-12-07', sede: '3201', called: 0, issued: 0, served: 0, skipped: 0,
  waiting: 0, in_service: [],
};

describe('queue console', () => {
  it('formats the averages', () => {
    expect(formatSeconds(null)).toBe('–');
    expect(formatSeconds(45.2)).toBe('45 s');
    expect(formatSeconds(240)).toBe('4 min');
    expect(formatSeconds(250)).toBe('4 min 10 s');
  });

  it('announces the waiting count and the ticket served, not the averages', () => {
    expect(queueAnnouncement({ ...base, waiting: 1 })).toBe('In coda 1 persona.');
    const a = queueAnnouncement({ ...base, waiting: 3, now_serving: 7, average_service_seconds: 10 });
    expect(a).toBe('In coda 3 persone. Ora serviamo il numero 7.');
    expect(queueAnnouncement({ ...base, waiting: 3, now_serving: 7, average_service_seconds: 99 })).toBe(a);
  });
});
