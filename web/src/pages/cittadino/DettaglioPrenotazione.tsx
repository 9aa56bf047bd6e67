import { useRef, useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, signedUrl, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { formatDate, formatTime } from '../../format';
import { useAsync } from '../../useAsync';
import { codeOnDevice, forgetBooking } from './device';
import { Shell, useCitizen } from './Shell';

type Booking = components['schemas']['CitizenBookingView'];

const MODE_LABEL: Record<string, string> = {
  in_presenza: 'Accesso in sede',
  ricontatto_telefonico: 'Ricontatto telefonico',
  web_meeting: 'Web Meeting',
};

/** What happens at the appointment, as the seed's "Dettaglio prenotazione" says it. */
function modeSentence(b: Booking): string {
  const when = `Alle ore ${formatTime(b.start)} del giorno ${formatDate(b.start)}`;
  if (b.mode === 'ricontatto_telefonico') return `La tua prenotazione sarà gestita telefonicamente e non dovrai recarti presso la sede INPS. ${when} un operatore INPS ti contatterà al recapito che hai fornito.`;
  if (b.mode === 'web_meeting') return `${when} riceverai all’indirizzo e-mail indicato l’invito al web meeting con un operatore INPS.`;
  return `${when} presentati allo sportello con il codice di prenotazione.`;
}

/** "Dettaglio prenotazione": code, masked codice fiscale, sede, counter, date, time, mode, notices; .ics; CANCELLA. */
export function DettaglioPrenotazione() {
  const { id = '' } = useParams();
  const [search] = useSearchParams();
  const { signedIn } = useCitizen();
  const code = signedIn ? null : codeOnDevice(id);
  const minPosition = Number(search.get('min_position')) || undefined;
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const keys = useRef(new IdempotencyKeys());
  const booking = useAsync<Booking>(
    () => unwrap(api.GET('/api/v1/bookings/{booking_id}', { params: { path: { booking_id: id }, query: { code: code ?? undefined, min_position: minPosition } } })),
    `${id}/${code ?? ''}/${cancelled}`,
  );
  const b = booking.data;

  async function cancel() {
    setAsking(false);
    setError(null);
    const body = signedIn ? {} : { code: code ?? '' };
    try {
      await unwrap(
        api.POST('/api/v1/bookings/{booking_id}/cancellation', {
          params: { path: { booking_id: id }, header: idem(keys.current.keyFor(body)) },
          body,
        }),
      );
      keys.current.done();
      forgetBooking(id);
      setCancelled(true);
    } catch (e) {
      setError(toApiError(e));
    }
  }

  async function downloadIcs() {
    if (!b) return;
    // Without a token the path carries the code; signed in, a short-lived signed link.
    window.location.href = signedIn ? await signedUrl(b.ics) : b.ics;
  }

  return (
    <Shell>
      <PageHeading title="Dettaglio prenotazione">Dettaglio prenotazione</PageHeading>
      <ErrorAlert error={booking.error} />
      {cancelled && (
        <div className="alert alert-success" role="status">
          La prenotazione è stata cancellata.
        </div>
      )}
      {b && !cancelled && (
        <>
          {b.status === 'cancelled' ? (
            <div className="alert alert-secondary">Prenotazione cancellata.</div>
          ) : (
            <div className="alert alert-info">{modeSentence(b)}</div>
          )}
          <dl className="riepilogo">
            <dt>Sede</dt>
            <dd>{(b.sede_name ?? b.sede).toUpperCase()}{b.sede_address && <span className="d-block small">{b.sede_address}</span>}</dd>
            <dt>Codice prenotazione</dt>
            <dd><Mono>{b.code}</Mono></dd>
            <dt>Sportello</dt>
            <dd>{(b.counter_name ?? b.counter).toUpperCase()}</dd>
            {b.service_name && (<><dt>Servizio richiesto</dt><dd>{b.service_name}</dd></>)}
            <dt>Cod. Fiscale utente</dt>
            <dd><Mono>{b.codice_fiscale_masked}</Mono></dd>
            <dt>Data e ora</dt>
            <dd>{formatDate(b.start)} ore {formatTime(b.start)}</dd>
            <dt>Modalità</dt>
            <dd>{MODE_LABEL[b.mode ?? ''] ?? '—'}</dd>
            {b.reason && (<><dt>Motivo prenotazione</dt><dd>{b.reason}</dd></>)}
            <dt>Prenotazione</dt>
            <dd>{b.authenticated ? 'Prenotato con autenticazione' : 'Prenotato senza autenticazione'}</dd>
          </dl>
          {b.notices.map((n) => (
            <div key={n.notice_id} className="alert alert-warning" role="note">
              <strong>Avviso della sede:</strong> {n.text}
            </div>
          ))}
          <ErrorAlert error={error} focus />
          <div className="d-grid gap-2 cittadino-actions">
            <button type="button" className="btn btn-outline-primary btn-lg" onClick={() => void downloadIcs()}>
              Aggiungi al calendario (.ics)
            </button>
            {b.status === 'confirmed' && !asking && (
              <button type="button" className="btn btn-danger btn-lg" onClick={() => setAsking(true)}>
                Cancella
              </button>
            )}
          </div>
          {asking && (
            <div className="alert alert-warning mt-3" role="alertdialog" aria-labelledby="conferma-cancellazione">
              <p id="conferma-cancellazione" className="fw-semibold">Attenzione</p>
              <p>Sei sicuro di voler procedere con la cancellazione?</p>
              <div className="d-flex gap-2">
                <button type="button" className="btn btn-outline-primary btn-lg flex-fill" onClick={() => setAsking(false)} autoFocus>
                  No
                </button>
                <button type="button" className="btn btn-danger btn-lg flex-fill" onClick={() => void cancel()}>
                  Sì
                </button>
              </div>
            </div>
          )}
        </>
      )}
      <p className="mt-3">
        <Link className="btn btn-primary btn-lg w-100" to="/prenota/prenotazioni">Le mie prenotazioni</Link>
      </p>
    </Shell>
  );
}
