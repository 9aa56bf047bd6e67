import { Link } from 'react-router';
import type { components } from '../../api/schema';
import { Mono } from '../../components/Mono';
import { formatDateTime } from '../../format';
import { metadataRows } from './audit';

export type AuditEvent = components['schemas']['AuditEvent'];
type Verification = components['schemas']['HashChainVerification'];

/** Events of the log, each with its metadata, hashes and payload behind a disclosure. */
export function Eventi({ items }: { items: AuditEvent[] }) {
  return (
    <ol className="list-unstyled audit-events">
      {items.map((e) => {
        const meta = (e.metadata ?? {}) as Record<string, unknown>;
        return (
          <li key={e.position} className="border-top py-2">
            <div className="d-flex flex-wrap gap-2 align-items-baseline">
              <strong>n. {e.position}</strong>
              <span>{e.event_type}</span>
              <span className="text-muted small">registrato il {formatDateTime(e.recorded_at)}</span>
              <span className="small">
                flusso <Link to={`/audit/flussi/${encodeURIComponent(e.stream_id)}`}>{e.stream_type} <Mono>{e.stream_id}</Mono></Link>, versione {e.version}
              </span>
              {typeof meta.actor_id === 'string' && <span className="small">attore {meta.actor_id}{meta.actor_role ? ` (${String(meta.actor_role)})` : ''}</span>}
            </div>
            <details className="mt-1">
              <summary>Metadati dell’evento n. {e.position}</summary>
              <dl className="row small mb-0 mt-2">
                {metadataRows(meta).map(([k, v]) => (
                  <div key={k} className="col-12 d-flex flex-wrap gap-2">
                    <dt>{k}</dt>
                    <dd className="mb-1 text-break">{v}</dd>
                  </div>
                ))}
                <div className="col-12 d-flex flex-wrap gap-2">
                  <dt>Hash</dt>
                  <dd className="mb-1 text-break"><Mono>{e.hash}</Mono></dd>
                </div>
                <div className="col-12 d-flex flex-wrap gap-2">
                  <dt>Hash precedente</dt>
                  <dd className="mb-1 text-break"><Mono>{e.prev_hash}</Mono></dd>
                </div>
              </dl>
              <pre className="small bg-light p-2 text-wrap text-break" tabIndex={0} aria-label={`Contenuto dell’evento n. ${e.position}`}>
                {JSON.stringify(e.payload, null, 2)}
              </pre>
            </details>
          </li>
        );
      })}
    </ol>
  );
}

/** The outcome of a hash-chain check, in Italian, with the first broken link. */
export function EsitoVerifica({ v }: { v: Verification }) {
  if (v.ok) {
    return (
      <div className="alert alert-success">
        Registro integro: {v.events_checked} eventi in {v.streams_checked} {v.streams_checked === 1 ? 'flusso' : 'flussi'}, nessun collegamento interrotto.
      </div>
    );
  }
  return (
    <div className="alert alert-danger">
      Integrità compromessa: {v.broken_links} collegamenti interrotti su {v.events_checked} eventi verificati.
      {v.first_broken && (
        <> Primo collegamento interrotto: posizione {v.first_broken.position}, flusso <Mono>{v.first_broken.stream_id}</Mono>,
          versione {v.first_broken.version} ({v.first_broken.reason}).</>
      )}
    </div>
  );
}
