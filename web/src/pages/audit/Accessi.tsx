import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { formatDateTime } from '../../format';
import { useAsync } from '../../useAsync';
import { localToRfc3339 } from './audit';

type Page = components['schemas']['PersonalDataReadsPage'];
type Read = components['schemas']['PersonalDataRead'];

const KEYS = ['codice_fiscale', 'from_time', 'to_time', 'actor'] as const;

/** The API query of the URL (times already RFC 3339 in the URL). */
function readsQuery(p: URLSearchParams, cursor?: string): Record<string, string> {
  const q: Record<string, string> = {};
  for (const k of KEYS) {
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
  const [params, setParams] = useSearchParams();
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? ''])));
  const [more, setMore] = useState<Read[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const asked = params.has('codice_fiscale');

  const page = useAsync<Page | null>(async () => {
    if (!asked) return null;
    const r = await unwrap(api.GET('/api/v1/audit/personal-data-reads', { params: { query: readsQuery(params) } }));
    setMore([]);
    setCursor(r.next_cursor ?? null);
    return r;
  }, params.toString());

  function search(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const k of KEYS) {
      const v = draft[k]?.trim() ?? '';
      const value = k === 'from_time' || k === 'to_time' ? localToRfc3339(v) : v;
      if (value) p.set(k, value);
    }
    setParams(p);
  }

  async function loadMore() {
    if (!cursor) return;
    try {
      const r = await unwrap(api.GET('/api/v1/audit/personal-data-reads', { params: { query: readsQuery(params, cursor) } }));
      setMore((m) => [...m, ...r.items]);
      setCursor(r.next_cursor ?? null);
      setMoreError(null);
    } catch (e) {
      setMoreError(toApiError(e));
    }
  }

  const items = [...(page.data?.items ?? []), ...more];
  const set = (k: string) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <PageHeading title="Accessi ai dati personali">Accessi ai dati personali</PageHeading>
      <p>Chi ha consultato i dati di un cittadino, quando, con quale ruolo e per quale finalità. Il codice fiscale non è conservato: la ricerca avviene per pseudonimo. Anche questa consultazione è registrata.</p>
      <form className="row g-3 align-items-end" onSubmit={search} role="search" aria-label="Ricerca degli accessi">
        <Field className="col-12 col-md-6" label="Codice fiscale del cittadino" required autoComplete="off"
          style={{ fontFamily: 'monospace' }} value={draft.codice_fiscale} onChange={set('codice_fiscale')} />
        <Field className="col-12 col-md-6" label="Utente che ha consultato" autoComplete="off" value={draft.actor} onChange={set('actor')} />
        <Field className="col-12 col-md-6" label="Consultati dal" type="datetime-local"
          value={draft.from_time && draft.from_time.endsWith('Z') ? '' : draft.from_time} onChange={set('from_time')} />
        <Field className="col-12 col-md-6" label="Consultati fino al" type="datetime-local"
          value={draft.to_time && draft.to_time.endsWith('Z') ? '' : draft.to_time} onChange={set('to_time')} />
        <div className="col-12">
          <button type="submit" className="btn btn-primary">Cerca gli accessi</button>
        </div>
      </form>

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
      <ErrorAlert error={moreError} />
      {cursor && <button type="button" className="btn btn-outline-primary" onClick={loadMore}>Carica altri</button>}
    </>
  );
}
