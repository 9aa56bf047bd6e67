import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { formatDateTime, formatIsoDay, formatLongDate, formatTime } from '../../format';
import { useServiceToday } from '../../useServiceToday';
import { useAsync } from '../../useAsync';
import { MODES, groupAgenda, type BookingRow } from './agenda';

type AgendaView = components['schemas']['AgendaView'];
type Counters = components['schemas']['CountersView'];

const DAYS = 7;

/** Agenda: the appointments of each counter by day, booked on requests and by citizens. */
export function Agenda() {
  const me = useMe();
  const sede = me.sede?.code ?? '';
  // The agenda starts from the service's today (decision E4); the user may pick another day.
  const service = useServiceToday();
  const [chosen, setChosen] = useState<string | null>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const from = chosen ?? service.today;
  const [cancelled, setCancelled] = useState(false);
  const [cancelling, setCancelling] = useState<BookingRow | null>(null);
  const [cancelReason, setCancelReason] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const keys = useRef(new IdempotencyKeys());
  // After a cancellation the agenda waits for it (read-your-writes).
  const [minPosition, setMinPosition] = useState<number | undefined>(undefined);

  const counters = useAsync<Counters>(() => unwrap(api.GET('/api/v1/sedi/{sede}/counters', { params: { path: { sede } } })), sede);
  const agenda = useAsync<AgendaView | undefined>(
    async () => from ? unwrap(api.GET('/api/v1/sedi/{sede}/bookings', {
      params: { path: { sede }, query: { date: from, days: DAYS, cancelled, ...(minPosition ? { min_position: minPosition } : {}) } },
    })) : undefined,
    `${sede}/${from}/${cancelled}/${minPosition ?? ''}`,
  );

  async function cancelBooking() {
    const b = cancelling;
    setCancelling(null);
    if (!b) return;
    const body = { reason: cancelReason.trim() || null };
    try {
      const a = await unwrap(api.POST('/api/v1/bookings/{booking_id}/cancellation', {
        params: { path: { booking_id: b.booking_id } }, headers: idem(keys.current.keyFor({ cancel: b.booking_id, body })), body,
      }));
      keys.current.done();
      setCancelReason('');
      setDone(`Prenotazione ${b.code} annullata.`);
      setError(null);
      setMinPosition(a.position);
    } catch (e) {
      setError(toApiError(e));
    }
  }

  function show(e: FormEvent) {
    e.preventDefault();
    if (draft) setChosen(draft);
  }

  const days = groupAgenda(agenda.data?.items ?? []);

  return (
    <>
      <PageHeading title="Agenda">Agenda</PageHeading>
      <p>Gli appuntamenti agli sportelli della sede {me.sede?.name ?? sede}, prenotati dai cittadini e sulle richieste dei patronati.</p>

      {counters.data && (
        <section aria-labelledby="sportelli" className="mb-4">
          <h2 id="sportelli" className="h5">Sportelli della sede</h2>
          <ul className="list-unstyled mb-0">
            {counters.data.items.map((c) => (
              <li key={c.counter}>
                <strong>{c.name}</strong>: {c.closed_today ? `chiuso oggi (${c.closed_today})` : c.today ?? 'chiuso oggi'}
              </li>
            ))}
          </ul>
        </section>
      )}
      <ErrorAlert error={counters.error} />

      <form className="row g-3 align-items-end mb-3" onSubmit={show} aria-label="Periodo dell’agenda">
        <Field className="col-12 col-md-4" label="Dal giorno" type="date" value={draft ?? from ?? ''} onChange={(e) => setDraft(e.target.value)}
          hint={`L’agenda mostra ${DAYS} giorni.`} />
        <div className="col-12 col-md-4 form-check mt-3">
          <input id="agenda-cancelled" className="form-check-input" type="checkbox" checked={cancelled}
            onChange={(e) => setCancelled(e.target.checked)} />
          <label htmlFor="agenda-cancelled" className="form-check-label">Mostra anche le prenotazioni annullate</label>
        </div>
        <div className="col-12 col-md-4">
          <button type="submit" className="btn btn-primary">Mostra</button>
        </div>
      </form>

      <div aria-live="polite">{done && <div className="alert alert-success">{done}</div>}</div>
      <ErrorAlert error={error} focus />
      <div aria-live="polite">
        {agenda.loading && <p className="text-muted">Caricamento…</p>}
        {!agenda.loading && agenda.data && (
          <p>
            {agenda.data.items.length === 0
              ? `Nessun appuntamento dal ${formatIsoDay(agenda.data.from)} al ${formatIsoDay(agenda.data.to)}.`
              : `Appuntamenti dal ${formatIsoDay(agenda.data.from)} al ${formatIsoDay(agenda.data.to)}: ${agenda.data.items.length}.`}
          </p>
        )}
      </div>
      <ErrorAlert error={service.error} />
      <ErrorAlert error={agenda.error} />

      {days.map((d) => (
        <section key={d.day} aria-labelledby={`day-${d.day}`} className="mb-4">
          <h2 id={`day-${d.day}`} className="h4 text-capitalize-first">{formatLongDate(`${d.day}T12:00:00Z`)}</h2>
          {d.counters.map((c) => (
            <div key={c.name} className="table-responsive" tabIndex={0} role="region" aria-label={`Appuntamenti ${c.name}`}>
              <table className="table table-sm">
                <caption className="caption-top h6 text-body">{c.name}</caption>
                <thead>
                  <tr>
                    <th scope="col">Ora</th>
                    <th scope="col">Codice</th>
                    <th scope="col">Prenotato da</th>
                    <th scope="col">Modalità</th>
                    <th scope="col">Motivo</th>
                    <th scope="col"><span className="visually-hidden">Azioni</span></th>
                  </tr>
                </thead>
                <tbody>
                  {c.rows.map((b) => (
                    <tr key={b.booking_id} className={b.status === 'cancelled' ? 'text-muted' : undefined}>
                      <td>{formatTime(b.slot_start)}–{formatTime(b.slot_end)}</td>
                      <td>
                        <Mono>{b.code}</Mono>
                        {b.status === 'cancelled' && <div className="small">Annullata{b.cancel_reason ? `: ${b.cancel_reason}` : ''}</div>}
                      </td>
                      <td>
                        {b.booker_kind === 'request' && b.request_id ? (
                          <>Richiesta <Link to={`/sede/richieste/${b.request_id}`}><Mono>{b.protocol ?? b.request_id}</Mono></Link></>
                        ) : (
                          <>Cittadino{b.codice_fiscale ? <> <Mono>{b.codice_fiscale}</Mono></> : ''}</>
                        )}
                      </td>
                      <td>{b.mode ? MODES[b.mode] ?? b.mode : 'In presenza'}</td>
                      <td className="text-break">{b.reason ?? '–'}</td>
                      <td>
                        {b.status === 'confirmed' && (
                          <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setCancelling(b)}>
                            Annulla<span className="visually-hidden"> la prenotazione {b.code}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </section>
      ))}

      <ConfirmDialog open={cancelling !== null} title="Annulla la prenotazione" confirmLabel="Conferma annullamento"
        onConfirm={cancelBooking} onCancel={() => setCancelling(null)}>
        <p>La prenotazione {cancelling?.code} del {cancelling ? formatDateTime(cancelling.slot_start) : ''} sarà annullata. Confermi?</p>
        <div className="form-group">
          <label htmlFor="cancel-reason" className="active">Motivo dell’annullamento</label>
          <input id="cancel-reason" type="text" className="form-control" value={cancelReason} onChange={(e) => setCancelReason(e.target.value)} />
        </div>
      </ConfirmDialog>
    </>
  );
}
