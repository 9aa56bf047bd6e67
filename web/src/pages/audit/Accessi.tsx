import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { LoadMore, useKeysetList } from '../../components/request/KeysetList';
import { formatDateTime } from '../../format';
import { FilterForm, type Filter } from './FilterForm';

type Page = components['schemas']['PersonalDataReadsPage'];
type Read = components['schemas']['PersonalDataRead'];

const READ_FILTERS: Filter[] = [
  { key: 'codice_fiscale', label: 'Codice fiscale del cittadino', className: 'col-12 col-md-6', required: true, code: true, style: { fontFamily: 'monospace' } },
  { key: 'actor', label: 'Utente che ha consultato', className: 'col-12 col-md-6', code: true },
  { key: 'from_time', label: 'Consultati dal', className: 'col-12 col-md-6', type: 'datetime-local' },
  { key: 'to_time', label: 'Consultati fino al', className: 'col-12 col-md-6', type: 'datetime-local' },
];

/** The API query of the URL (times already RFC 3339 in the URL). */
function readsQuery(p: URLSearchParams, cursor?: string): Record<string, string> {
  const q: Record<string, string> = {};
  for (const { key: k } of READ_FILTERS) {
    const v = p.get(k)?.trim();
    if (v) q[k] = v;
  }
  if (cursor) q.cursor = cursor;
  return q;
}

const ROLE_LABELS: Record<string, string> = {
  operator: 'Operatore di patronato',
  patronato_admin: 'Amministratore di patronato',
  regional_referent: 'Referente regionale',
  sede_officer: 'Funzionario di sede',
  auditor: 'Revisore',
  analyst: 'Analista',
  citizen: 'Cittadino',
  system_admin: 'Amministratore del servizio',
};

/** Accessi ai dati personali: who read a citizen's data, and when (issue 26). */
export function Accessi() {
  const [params] = useSearchParams();
  const asked = params.has('codice_fiscale');
  const list = useKeysetList<Read, Page>(
    async (cursor) => (asked ? unwrap(api.GET('/api/v1/audit/personal-data-reads', { params: { query: readsQuery(params, cursor) } })) : null),
    params.toString(),
  );
  const { page, rows: items, cursor } = list;

  return (
    <>
      <PageHeading title="Accessi ai dati personali">Accessi ai dati personali</PageHeading>
      <p>Chi ha consultato i dati di un cittadino, quando, con quale ruolo e per quale finalità. Il codice fiscale non è conservato: la ricerca avviene per pseudonimo. Anche questa consultazione è registrata.</p>
      <FilterForm label="Ricerca degli accessi" filters={READ_FILTERS} submit="Cerca gli accessi" />

      <div aria-live="polite" className="mt-3">
        {page.loading && <p className="text-muted">Caricamento…</p>}
        {!page.loading && page.data && (
          <p>
            {items.length === 0 ? 'Nessun accesso registrato per questo cittadino nel periodo.' : `Accessi mostrati: ${items.length}${cursor ? ' (altri disponibili)' : ''}.`}
            {' '}Pseudonimo: <Mono>{page.data.subject ?? ''}</Mono>
          </p>
        )}
      </div>
      <ErrorAlert error={page.error} />
      {items.length > 0 && (
        <div className="table-responsive">
          <table className="table table-sm">
            <caption className="visually-hidden">Accessi ai dati del cittadino</caption>
            <thead>
              <tr>
                <th scope="col">Quando</th>
                <th scope="col">Utente</th>
                <th scope="col">Ruolo e ambito</th>
                <th scope="col">Operazione</th>
                <th scope="col">Oggetto</th>
                <th scope="col">Finalità</th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{formatDateTime(r.read_at)}</td>
                  <td>{r.actor_id}</td>
                  <td>{ROLE_LABELS[r.actor_role] ?? r.actor_role}<br /><span className="small">{r.scope}</span></td>
                  <td>{r.operation}</td>
                  <td>{r.target?.startsWith('request-') ? <Link to={`/audit/flussi/${encodeURIComponent(r.target)}`}><Mono>{r.target}</Mono></Link> : r.target ? <Mono>{r.target}</Mono> : '—'}</td>
                  <td>{r.purpose ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore list={list} />
    </>
  );
}
