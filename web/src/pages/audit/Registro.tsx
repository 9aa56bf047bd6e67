import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { LinkButton } from '../../components/LinkButton';
import { PageHeading } from '../../components/PageHeading';
import { useAsync } from '../../useAsync';
import { FILTERS, auditQuery, localToRfc3339 } from './audit';
import { Eventi, EsitoVerifica, type AuditEvent } from './Eventi';

type Page = components['schemas']['AuditEventsPage'];
type Verification = components['schemas']['HashChainVerification'];

/** Registro eventi: the global log with its filters, "Carica altri", verification and NDJSON export. */
export function Registro() {
  const [params, setParams] = useSearchParams();
  const [draft, setDraft] = useState<Record<string, string>>(() => Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])));
  const [more, setMore] = useState<AuditEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [verify, setVerify] = useState<Verification | null>(null);
  const [verifyError, setVerifyError] = useState<ApiError | null>(null);
  const [checking, setChecking] = useState(false);

  const page = useAsync<Page>(async () => {
    const r = await unwrap(api.GET('/api/v1/audit/events', { params: { query: auditQuery(params) } }));
    setMore([]);
    setCursor(r.next_cursor ?? null);
    return r;
  }, params.toString());

  function search(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const k of FILTERS) {
      const v = draft[k]?.trim() ?? '';
      const value = k === 'from_time' || k === 'to_time' ? localToRfc3339(v) : v;
      if (value) p.set(k, value);
    }
    setParams(p);
  }

  async function loadMore() {
    if (!cursor) return;
    try {
      const r = await unwrap(api.GET('/api/v1/audit/events', { params: { query: auditQuery(params, cursor) } }));
      setMore((m) => [...m, ...r.items]);
      setCursor(r.next_cursor ?? null);
      setMoreError(null);
    } catch (e) {
      setMoreError(toApiError(e));
    }
  }

  async function verifyAll() {
    setChecking(true);
    try {
      setVerify(await unwrap(api.GET('/api/v1/audit/verify', { params: { query: {} } })));
      setVerifyError(null);
    } catch (e) {
      setVerifyError(toApiError(e));
    } finally {
      setChecking(false);
    }
  }

  const items = [...(page.data?.items ?? []), ...more];
  const exportQuery = new URLSearchParams(auditQuery(params)).toString();
  const set = (k: string) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value });

  return (
    <>
      <PageHeading title="Registro eventi">Registro eventi</PageHeading>
      <p>Tutti gli eventi registrati, dal più vecchio, con i loro metadati. Ogni consultazione è a sua volta registrata (eventi <code>AuditRead</code>).</p>

      <section aria-labelledby="verifica" className="mb-4">
        <h2 id="verifica" className="h4">Verifica integrità</h2>
        <div className="d-flex flex-wrap gap-2">
          <button type="button" className="btn btn-primary" onClick={verifyAll} disabled={checking}>
            {checking ? 'Verifica in corso…' : 'Verifica integrità del registro'}
          </button>
          <LinkButton path={`/api/v1/audit/export${exportQuery ? `?${exportQuery}` : ''}`}>Scarica NDJSON</LinkButton>
        </div>
        <div aria-live="polite" className="mt-2">{verify && <EsitoVerifica v={verify} />}</div>
        <ErrorAlert error={verifyError} />
      </section>

      <form className="row g-3 align-items-end" onSubmit={search} role="search" aria-label="Filtri del registro">
        <Field className="col-6 col-md-3" label="Dalla posizione" type="number" min={0} value={draft.from_position} onChange={set('from_position')} />
        <Field className="col-6 col-md-3" label="Alla posizione" type="number" min={0} value={draft.to_position} onChange={set('to_position')} />
        <Field className="col-12 col-md-3" label="Registrati dal" type="datetime-local"
          value={draft.from_time && draft.from_time.endsWith('Z') ? '' : draft.from_time} onChange={set('from_time')} />
        <Field className="col-12 col-md-3" label="Registrati fino al" type="datetime-local"
          value={draft.to_time && draft.to_time.endsWith('Z') ? '' : draft.to_time} onChange={set('to_time')} />
        <Field className="col-12 col-md-4" label="Tipo di evento" value={draft.event_type} hint="Ad esempio RequestSent, AuditRead."
          onChange={set('event_type')} />
        <Field className="col-12 col-md-4" label="Attore" value={draft.actor} autoComplete="off" onChange={set('actor')} />
        <Field className="col-12 col-md-4" label="Tipo di flusso" value={draft.stream_type} hint="Ad esempio request." onChange={set('stream_type')} />
        <div className="col-12 d-flex gap-2 flex-wrap">
          <button type="submit" className="btn btn-primary">Cerca</button>
          <button type="button" className="btn btn-outline-primary"
            onClick={() => { setDraft(Object.fromEntries(FILTERS.map((k) => [k, '']))); setParams(new URLSearchParams()); }}>
            Azzera i filtri
          </button>
        </div>
      </form>

      <div aria-live="polite" className="mt-3">
        {page.loading && <p className="text-muted">Caricamento…</p>}
        {!page.loading && page.data && (
          <p>{items.length === 0 ? 'Nessun evento corrisponde ai filtri.' : `Eventi mostrati: ${items.length}${cursor ? ' (altri disponibili)' : ''}.`}</p>
        )}
      </div>
      <ErrorAlert error={page.error} />
      <Eventi items={items} />
      <ErrorAlert error={moreError} />
      {cursor && <button type="button" className="btn btn-outline-primary" onClick={loadMore}>Carica altri</button>}
    </>
  );
}
