import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { useAsync } from '../../useAsync';
import { Eventi, EsitoVerifica, type AuditEvent } from './Eventi';

type Page = components['schemas']['StreamEventsPage'];
type Verification = components['schemas']['HashChainVerification'];

/** A stream's history, oldest first, and the check of its own chain. */
export function Flusso() {
  const { streamId = '' } = useParams();
  const [more, setMore] = useState<AuditEvent[]>([]);
  const [after, setAfter] = useState<number | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [verify, setVerify] = useState<Verification | null>(null);
  const [verifyError, setVerifyError] = useState<ApiError | null>(null);

  const page = useAsync<Page>(async () => {
    const r = await unwrap(api.GET('/api/v1/audit/streams/{stream_id}/events', { params: { path: { stream_id: streamId } } }));
    setMore([]);
    setAfter(r.next_after_version ?? null);
    return r;
  }, streamId);

  async function loadMore() {
    if (after == null) return;
    try {
      const r = await unwrap(api.GET('/api/v1/audit/streams/{stream_id}/events', {
        params: { path: { stream_id: streamId }, query: { after_version: after } },
      }));
      setMore((m) => [...m, ...r.items]);
      setAfter(r.next_after_version ?? null);
    } catch (e) {
      setMoreError(toApiError(e));
    }
  }

  async function verifyStream() {
    try {
      setVerify(await unwrap(api.GET('/api/v1/audit/verify', { params: { query: { stream_id: streamId } } })));
      setVerifyError(null);
    } catch (e) {
      setVerifyError(toApiError(e));
    }
  }

  const items = [...(page.data?.items ?? []), ...more];
  const isRequest = items[0]?.stream_type === 'request';
  return (
    <>
      <nav aria-label="Percorso di navigazione" className="breadcrumb-container">
        <ol className="breadcrumb p-0">
          <li className="breadcrumb-item"><Link to="/audit">Registro eventi</Link><span className="separator">/</span></li>
          <li className="breadcrumb-item active" aria-current="page">Storia del flusso</li>
        </ol>
      </nav>
      <PageHeading title="Storia del flusso">Storia del flusso</PageHeading>
      <p>Flusso <Mono>{streamId}</Mono></p>
      <div className="d-flex flex-wrap gap-2 mb-2">
        <button type="button" className="btn btn-primary" onClick={verifyStream}>Verifica integrità del flusso</button>
        {isRequest && <Link className="btn btn-outline-primary" to={`/audit/stato?id=${encodeURIComponent(streamId.replace(/^request-/, ''))}`}>Stato al…</Link>}
      </div>
      <div aria-live="polite">{verify && <EsitoVerifica v={verify} />}</div>
      <ErrorAlert error={verifyError} />
      <ErrorAlert error={page.error} />
      {page.data && <p>Eventi mostrati: {items.length}{after != null ? ' (altri disponibili)' : ''}.</p>}
      <Eventi items={items} />
      <ErrorAlert error={moreError} />
      {after != null && <button type="button" className="btn btn-outline-primary" onClick={loadMore}>Carica altri</button>}
    </>
  );
}
