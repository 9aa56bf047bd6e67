import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { formatDate, formatTime } from '../../format';
import { useAsync } from '../../useAsync';
import { deviceBookings, forgetBooking } from './device';
import { Shell, useCitizen } from './Shell';

type Item = { id: string; sede: string; counter: string; start: string; authenticated: boolean; status: string; notices: string[] };

interface Listed {
  items: Item[];
  errors: ApiError[];
}

/** Signed in: the API's list. Without signing in: each booking kept on this device, read by id and code. */
async function load(signedIn: boolean): Promise<Listed> {
  if (signedIn) {
    const mine = await unwrap(api.GET('/api/v1/me/bookings'));
    return {
      items: mine.items.filter((b) => b.booker_kind === 'citizen').map((b) => ({
        id: b.booking_id,
        sede: b.sede_name ?? b.sede_code,
        counter: b.counter_name ?? b.counter_type,
        start: b.slot_start,
        authenticated: b.authenticated,
        status: b.status,
        notices: [],
      })),
      errors: [],
    };
  }
  const items: Item[] = [];
  const errors: ApiError[] = [];
  for (const d of deviceBookings()) {
    try {
      const b: components['schemas']['CitizenBookingView'] = await unwrap(
        api.GET('/api/v1/bookings/{booking_id}', { params: { path: { booking_id: d.id }, query: { code: d.code } } }),
      );
      // Past and cancelled bookings leave the device's list.
      if (b.status !== 'confirmed' || new Date(b.end).getTime() < Date.now()) {
        forgetBooking(d.id);
        continue;
      }
      items.push({ id: b.booking_id, sede: b.sede_name ?? b.sede, counter: b.counter_name ?? b.counter, start: b.start, authenticated: b.authenticated, status: b.status, notices: b.notices.map((n) => n.text) });
    } catch (e) {
      const err = toApiError(e);
      if (err.code === 'booking_not_found') forgetBooking(d.id);
      else errors.push(err);
    }
  }
  return { items, errors };
}

/** "Le mie prenotazioni". */
export function LeMiePrenotazioni() {
  const { signedIn } = useCitizen();
  const listed = useAsync<Listed>(() => load(signedIn), String(signedIn));
  const items = listed.data?.items ?? [];
  return (
    <Shell>
      <PageHeading title="Le mie prenotazioni">Le mie prenotazioni</PageHeading>
      {!signedIn && (
        <div className="mb-3">
          <p className="small">
            Per visualizzare anche le prenotazioni prese dal portale web, tramite il numero verde dell’Istituto o direttamente
            presso la sede, effettuare l’autenticazione.
          </p>
          <Link className="btn btn-outline-primary btn-lg w-100" to="/accesso">Accedi</Link>
        </div>
      )}
      <ErrorAlert error={listed.error ?? listed.data?.errors[0] ?? null} />
      {listed.loading && !listed.data && <p role="status">Caricamento…</p>}
      {listed.data && items.length === 0 && <p>Nessuna prenotazione presente.</p>}
      <ul className="list-unstyled">
        {items.map((b) => (
          <li key={b.id} className="card card-bg mb-3">
            <div className="card-body">
              <h2 className="h5 card-title">{b.sede.toUpperCase()}</h2>
              <p className="mb-1">{b.counter.toUpperCase()}</p>
              <p className="small mb-1">{b.authenticated ? 'Prenotato con autenticazione' : 'Prenotato senza autenticazione'}</p>
              <p className="mb-2">
                Data di prenotazione {formatDate(b.start)}, orario {formatTime(b.start)}
              </p>
              {b.notices.map((n) => <p key={n} className="small alert alert-warning">{n}</p>)}
              <Link className="btn btn-primary btn-lg w-100" to={`/prenota/prenotazioni/${b.id}`} aria-label={`Leggi tutto: ${b.counter} del ${formatDate(b.start)} alle ${formatTime(b.start)}`}>
                Leggi tutto
              </Link>
            </div>
          </li>
        ))}
      </ul>
      <Link to="/prenota/sede">Nuova prenotazione</Link>
    </Shell>
  );
}
