import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { PageHeading } from '../../components/PageHeading';
import { useAsync } from '../../useAsync';
import { Shell } from './Shell';

type Counters = components['schemas']['CountersView'];

/** The counters citizens book (the patronati's counter is booked by patronati on a request). */
export const CITIZEN_COUNTER = (counter: string) => counter !== 'servizi_patronati';

/** "Lista sportelli disponibili": today's opening of each counter and the services it offers. */
export function Sportelli() {
  const { sede = '' } = useParams();
  const counters = useAsync<Counters>(() => unwrap(api.GET('/api/v1/sedi/{sede}/counters', { params: { path: { sede } } })), sede);
  const items = counters.data?.items.filter((c) => c.active && CITIZEN_COUNTER(c.counter)) ?? [];
  return (
    <Shell>
      <PageHeading title="Lista sportelli disponibili">Lista sportelli disponibili</PageHeading>
      {counters.data && (
        <p className="lead mb-2">
          {counters.data.sede_name.toUpperCase()}
          {counters.data.address && <span className="d-block small">{counters.data.address}</span>}
        </p>
      )}
      <div className="alert alert-warning" role="note">
        Attenzione: puoi inserire solo una prenotazione per ogni tipo di sportello fino ad un massimo di tre.
      </div>
      <ErrorAlert error={counters.error} />
      {counters.loading && !counters.data && <p role="status">Caricamento…</p>}
      <ul className="list-unstyled sportelli">
        {items.map((c) => (
          <li key={c.counter} className="card card-bg mb-3">
            <div className="card-body">
              <h2 className="h5 card-title">{c.name.toUpperCase()}</h2>
              <p className="mb-2">{c.today ?? `Oggi chiuso${c.closed_today ? `: ${c.closed_today}` : ''}`}</p>
              {c.services.length > 0 && (
                <details className="mb-3">
                  <summary>Servizi offerti</summary>
                  <p className="small mt-2 mb-0">{c.services.map((s) => s.name).join(', ')}</p>
                </details>
              )}
              <Link className="btn btn-primary btn-lg w-100" to={`/prenota/sede/${sede}/${c.counter}`} aria-label={`Prenota ${c.name}`}>
                Prenota
              </Link>
            </div>
          </li>
        ))}
      </ul>
      <Link to="/prenota/sede">Cambia sede</Link>
    </Shell>
  );
}
