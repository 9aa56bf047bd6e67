import type { components } from '../../api/schema';

type UserNotification = components['schemas']['UserNotification'];

export interface Described {
  title: string;
  protocol: string | null;
  text: string | null;
}

const TITLES: Record<string, string> = {
  reply_received: 'Risposta ricevuta',
  request_forwarded: 'Richiesta inoltrata ad altra sede',
  conversation_closed: 'Conversazione chiusa dalla sede',
  appointment_booked: 'Appuntamento prenotato',
  appointment_cancelled: 'Appuntamento annullato',
  overdue_digest: 'Richieste scadute della sede',
};

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() ? v : null;
}

/** What the list shows of a notification: its Italian title, the protocol and a line of detail. */
export function describe(n: UserNotification): Described {
  const d = (n.details ?? {}) as Record<string, unknown>;
  const title = TITLES[n.kind] ?? 'Notifica';
  let text: string | null = null;
  if (n.kind === 'request_forwarded') text = `Dalla sede ${str(d.from) ?? '?'} alla sede ${str(d.to) ?? '?'}${str(d.reason) ? `: ${str(d.reason)}` : ''}`;
  else if (n.kind === 'appointment_cancelled' && str(d.reason)) text = `Motivo: ${str(d.reason)}`;
  else if (n.kind === 'conversation_closed' && str(d.note)) text = `Nota: ${str(d.note)}`;
  else if (n.kind === 'overdue_digest') {
    const count = typeof d.count === 'number' ? d.count : 0;
    text = count === 1 ? '1 richiesta in attesa di risposta da oltre 15 giorni' : `${count} richieste in attesa di risposta da oltre 15 giorni`;
  }
  return { title, protocol: str(d.protocol), text };
}
