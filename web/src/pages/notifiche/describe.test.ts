import { describe as suite, expect, it } from 'vitest';
import type { components } from '../../api/schema';
import { describe } from './describe';

// The API documents `details` as a free object.
const details = (o: Record<string, unknown>) => o as components['schemas']['UserNotification']['details'];

const base = { id: '1:reply_received:user:op', request_id: null, booking_id: null, sede_code: null, created_at: '2026-12-07T10:00:00Z', read_at: null, status: 'sent' };

suite('describe', () => {
  it('names a reply with its protocol', () => {
    expect(describe({ ...base, kind: 'reply_received', details: details({ protocol: 'INPS.3201.2026.0000001' }) })).toEqual({
      title: 'Risposta ricevuta',
      protocol: 'INPS.3201.2026.0000001',
      text: null,
    });
  });
  it('says where a request went and why', () => {
    expect(describe({ ...base, kind: 'request_forwarded', details: details({ from: '3201', to: '3202', reason: 'Competenza territoriale' }) }).text).toBe(
      'Dalla sede 3201 alla sede 3202: Competenza territoriale',
    );
  });
  it('counts a digest', () => {
    expect(describe({ ...base, kind: 'overdue_digest', details: details({ count: 1 }) }).text).toBe('1 richiesta in attesa di risposta da oltre 15 giorni');
  });
});
