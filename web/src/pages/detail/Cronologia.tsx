import type { components } from '../../api/schema';
import { LinkButton } from '../../components/LinkButton';
import { formatBytes, formatDateTime } from '../../format';

/** A timeline entry with its sedi and who acted named by the API (never guessed here). */
export type TimelineEntry = components['schemas']['TimelineItem'];

const CARDS = new Set(['sent', 'reply', 'message']);

function str(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** One line for a system event, in Italian, with the sedi by name. */
export function eventText(e: TimelineEntry): string {
  const d = (e.details ?? {}) as Record<string, unknown>;
  const sede = e.sede_label ?? '';
  switch (e.kind) {
    case 'attachment_added':
      return `Allegato aggiunto: ${e.attachments.map((a) => a.filename).join(', ')}`;
    case 'attachment_removed':
      return 'Allegato rimosso';
    case 'taken_in_charge':
      return `Presa in carico dalla sede ${sede}`.trim();
    case 'sollecito':
      return `Sollecito${d.number ? ` n. ${str(d.number)}` : ''} inviato`;
    case 'forwarded':
      return `Inoltrata dalla sede ${sede} alla sede ${e.forwarded_to_label ?? str(d.to)}${e.text ? `: ${e.text}` : ''}`;
    case 'appointment_enabled':
      return 'La sede ha abilitato la prenotazione di un appuntamento';
    case 'appointment_booked':
      return `Appuntamento prenotato${d.start ? ` per il ${formatDateTime(str(d.start))}` : ''}${d.code ? ` (codice ${str(d.code)})` : ''}`;
    case 'appointment_cancelled':
      return 'Appuntamento annullato';
    case 'closed':
      return `${`Conversazione chiusa dalla sede ${sede}`.trim()}${e.text ? `: ${e.text}` : ''}`;
    default:
      return e.kind;
  }
}

function cardTitle(e: TimelineEntry): string {
  const d = (e.details ?? {}) as Record<string, unknown>;
  if (e.kind === 'sent') return `Richiesta inoltrata${e.sede_label ? ` alla sede ${e.sede_label}` : ''}`;
  if (e.kind === 'reply') return `Risposta della sede${e.sede_label ? ` ${e.sede_label}` : ''}`;
  return `Comunicazione del patronato${d.interaction ? ` (interazione ${str(d.interaction)} di 2)` : ''}`;
}

/** "Cronologia comunicazione": messages as cards, system events as one-line items, oldest first. */
export function Cronologia({ requestId, entries }: { requestId: string; entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p>Nessuna comunicazione.</p>;
  return (
    <ol className="list-unstyled">
      {entries.map((e) =>
        CARDS.has(e.kind) ? (
          <li key={e.version} className={`card card-bg timeline-card side-${e.side} mb-3`}>
            <div className="card-body">
              <h3 className="h6 mb-1">{cardTitle(e)}</h3>
              <p className="small text-muted mb-2">
                {formatDateTime(e.at)} · {e.actor_label}
              </p>
              {e.text && <p className="mb-2 text-break timeline-text">{e.text}</p>}
              {e.attachments.length > 0 && (
                <ul className="list-inline mb-0">
                  {e.attachments.map((a) => (
                    <li key={a.id} className="list-inline-item">
                      <LinkButton className="btn btn-link p-0" path={`/api/v1/requests/${requestId}/attachments/${a.id}`}
                        label={`Scarica ${a.filename}`}>
                        {a.filename} ({formatBytes(a.size)})
                      </LinkButton>
                    </li>
                  ))}
                </ul>
              )}
            </div>
          </li>
        ) : (
          <li key={e.version} className="timeline-event mb-3 ps-2">
            <span className="me-2">{formatDateTime(e.at)}</span>
            {eventText(e)}
            <span className="d-block small text-muted">{e.actor_label}</span>
          </li>
        ),
      )}
    </ol>
  );
}
