import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LinkButton } from '../../components/LinkButton';
import { PageHeading } from '../../components/PageHeading';
import { LoadMore, useKeysetList } from '../../components/request/KeysetList';
import { auditQuery } from './audit';
import { Eventi, EsitoVerifica, type AuditEvent } from './Eventi';
import { FilterForm, type Filter } from './FilterForm';

type Page = components['schemas']['AuditEventsPage'];
type Verification = components['schemas']['HashChainVerification'];

/** The log's filters (their keys: `FILTERS` in audit.ts). */
const LOG_FILTERS: Filter[] = [
  { key: 'from_position', label: 'Dalla posizione', className: 'col-6 col-md-3', type: 'number' },
  { key: 'to_position', label: 'Alla posizione', className: 'col-6 col-md-3', type: 'number' },
  { key: 'from_time', label: 'Registrati dal', className: 'col-12 col-md-3', type: 'datetime-local' },
  { key: 'to_time', label: 'Registrati fino al', className: 'col-12 col-md-3', type: 'datetime-local' },
  { key: 'event_type', label: 'Tipo di evento', className: 'col-12 col-md-4', hint: 'Ad esempio RequestSent, AuditRead.' },
  { key: 'actor', label: 'Attore', className: 'col-12 col-md-4', code: true },
  { key: 'stream_type', label: 'Tipo di flusso', className: 'col-12 col-md-4', hint: 'Ad esempio request.' },
];

/** Registro eventi: the global log with its filters, "Carica altri", verification and NDJSON export. */
export function Registro() {
  const [params] = useSearchParams();
  const [verify, setVerify] = useState<Verification | null>(null);
  const [verifyError, setVerifyError] = useState<ApiError | null>(null);
  const [checking, setChecking] = useState(false);
  const list = useKeysetList<AuditEvent, Page>(
    (cursor) => unwrap(api.GET('/api/v1/audit/events', { params: { query: auditQuery(params, cursor) } })),
    params.toString(),
  );
  const { page, rows: items, cursor } = list;

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

  const exportQuery = new URLSearchParams(auditQuery(params)).toString();

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

      <FilterForm label="Filtri del registro" filters={LOG_FILTERS} submit="Cerca" resettable />

      <div aria-live="polite" className="mt-3">
        {page.loading && <p className="text-muted">Caricamento…</p>}
        {!page.loading && page.data && (
          <p>{items.length === 0 ? 'Nessun evento corrisponde ai filtri.' : `Eventi mostrati: ${items.length}${cursor ? ' (altri disponibili)' : ''}.`}</p>
        )}
      </div>
      <ErrorAlert error={page.error} />
      <Eventi items={items} />
      <LoadMore list={list} />
    </>
  );
}
