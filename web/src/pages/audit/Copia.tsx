import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { statusLabel } from '../../components/StatusBadge';
import { formatBytes, formatDate, formatDateTime } from '../../format';
import { eventText } from '../detail/Cronologia';

type Copy = components['schemas']['SubjectCopy'];
type CopyRequest = components['schemas']['CopyRequest'];
type Entry = CopyRequest['timeline'][number];

const MESSAGE_KINDS = new Set(['sent', 'reply', 'message']);

function entryText(e: Entry): string {
  if (!MESSAGE_KINDS.has(e.kind)) return eventText(e);
  const who = e.kind === 'reply' ? 'Risposta della sede' : e.kind === 'sent' ? 'Richiesta' : 'Comunicazione del patronato';
  return `${who}: ${e.text ?? ''}`;
}

function Richiesta({ r }: { r: CopyRequest }) {
  const q = r.request;
  return (
    <section className="copy-request mb-4" aria-labelledby={`req-${q.request_id}`}>
      <h3 id={`req-${q.request_id}`} className="h5">Richiesta <Mono>{q.protocol}</Mono>: {q.subject}</h3>
      <dl className="row small mb-2">
        <dt className="col-sm-4">Stato</dt><dd className="col-sm-8">{statusLabel(q.status)}</dd>
        <dt className="col-sm-4">Inviata il</dt><dd className="col-sm-8">{formatDateTime(q.sent_at)}</dd>
        <dt className="col-sm-4">Patronato e ufficio</dt><dd className="col-sm-8">{q.patronato} – {q.office}</dd>
        <dt className="col-sm-4">Sede INPS</dt><dd className="col-sm-8">{q.current_sede}</dd>
        {q.closed_at && (<><dt className="col-sm-4">Chiusa il</dt><dd className="col-sm-8">{formatDateTime(q.closed_at)}</dd></>)}
      </dl>
      <p className="copy-text"><strong>Testo della richiesta:</strong> {q.text}</p>
      {q.notes && <p className="copy-text"><strong>Note:</strong> {q.notes}</p>}
      <h4 className="h6">Cronologia</h4>
      <ol className="small">
        {r.timeline.map((e) => (
          <li key={`${e.version}-${e.kind}`}>
            {formatDateTime(e.at)} – {e.actor_label}: <span className="copy-text">{entryText(e)}</span>
          </li>
        ))}
      </ol>
      {r.attachments.length > 0 && (
        <>
          <h4 className="h6">Allegati</h4>
          <ul className="small">
            {r.attachments.map((a) => (
              <li key={a.attachment_id}>{a.filename} ({formatBytes(a.size)}){a.removed_at ? ' – rimosso' : ''}</li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function Copia({ copy }: { copy: Copy }) {
  return (
    <article className="subject-copy mt-4" aria-labelledby="copy-title">
      <h2 id="copy-title">Copia dei dati personali</h2>
      <p>
        Codice fiscale <Mono>{copy.codice_fiscale}</Mono>, pseudonimo <Mono>{copy.subject}</Mono>. Copia generata il{' '}
        {formatDateTime(copy.generated_at)} ai sensi dell’art. 15 del Regolamento (UE) 2016/679.
      </p>

      <h2 className="h4">Dati anagrafici</h2>
      {copy.registry.length === 0 ? <p>Nessun dato anagrafico nell’archivio di riferimento.</p> : (
        <ul>
          {copy.registry.map((c) => (
            <li key={c.codice_fiscale}>
              {c.surname} {c.name}, nato/a il {formatDate(c.birth_date)}{c.birth_place ? ` a ${c.birth_place}` : ''}; CAP di residenza {c.cap}
            </li>
          ))}
        </ul>
      )}

      <h2 className="h4">Richieste ({copy.requests.length})</h2>
      {copy.requests.length === 0 ? <p>Nessuna richiesta.</p> : copy.requests.map((r) => <Richiesta key={r.request.request_id} r={r} />)}

      <h2 className="h4">Prenotazioni ({copy.bookings.length})</h2>
      {copy.bookings.length === 0 ? <p>Nessuna prenotazione.</p> : (
        <ul>
          {copy.bookings.map((b) => (
            <li key={b.booking_id}>
              {formatDateTime(b.slot_start)}, {b.sede_name ?? b.sede_code} ({b.counter_name ?? b.counter_type}), codice <Mono>{b.code}</Mono>,{' '}
              {b.status === 'cancelled' ? 'annullata' : 'confermata'}
              {b.mobile ? `; cellulare ${b.mobile}` : ''}{b.email ? `; e-mail ${b.email}` : ''}{b.reason ? `; motivo: ${b.reason}` : ''}
            </li>
          ))}
        </ul>
      )}

      <h2 className="h4">Accessi ai dati ({copy.reads.length}{copy.reads_truncated ? ', elenco troncato' : ''})</h2>
      {/* Scrolls sideways at 375 px: reachable by keyboard. */}
      <div className="table-responsive" tabIndex={0} role="region" aria-label="Tabella degli accessi ai dati">
        <table className="table table-sm">
          <caption className="visually-hidden">Chi ha consultato i dati del cittadino</caption>
          <thead>
            <tr>
              <th scope="col">Quando</th>
              <th scope="col">Utente e ruolo</th>
              <th scope="col">Operazione</th>
              <th scope="col">Finalità</th>
            </tr>
          </thead>
          <tbody>
            {copy.reads.map((r) => (
              <tr key={r.id}>
                <td>{formatDateTime(r.read_at)}</td>
                <td>{r.actor_id} ({r.actor_role}, {r.scope})</td>
                <td>{r.operation}</td>
                <td>{r.purpose ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </article>
  );
}

/** Copia dei dati personali (GDPR art. 15, issue 26): everything held about one citizen, printable. */
export function CopiaDati() {
  const [cf, setCf] = useState('');
  const [purpose, setPurpose] = useState('');
  const [copy, setCopy] = useState<Copy | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(false);

  // The code stays out of the URL: it would end in the browser's history.
  async function prepare(e: FormEvent) {
    e.preventDefault();
    setLoading(true);
    setError(null);
    try {
      const headers: Record<string, string> = purpose.trim() ? { 'X-Access-Purpose': purpose.trim() } : {};
      const r = await unwrap(api.GET('/api/v1/privacy/subject-copy', { params: { query: { codice_fiscale: cf.trim() } }, headers }));
      setCopy(r);
    } catch (err) {
      setCopy(null);
      setError(toApiError(err));
    } finally {
      setLoading(false);
    }
  }

  return (
    <>
      <PageHeading title="Copia dei dati personali">Copia dei dati personali</PageHeading>
      <div className="no-print">
        <p>Tutto ciò che il servizio conserva su un cittadino (richieste, prenotazioni, accessi ai suoi dati), per rispondere a una richiesta di accesso (art. 15 GDPR). Anche questa consultazione è registrata.</p>
        <form className="row g-3 align-items-end" onSubmit={prepare} aria-label="Richiesta della copia">
          <Field className="col-12 col-md-6" label="Codice fiscale del cittadino" required autoComplete="off"
            style={{ fontFamily: 'monospace' }} value={cf} onChange={(e) => setCf(e.target.value)} />
          <Field className="col-12 col-md-6" label="Finalità (es. protocollo della richiesta di accesso)" autoComplete="off"
            value={purpose} onChange={(e) => setPurpose(e.target.value)} />
          <div className="col-12 d-flex flex-wrap gap-2">
            <button type="submit" className="btn btn-primary">Prepara la copia</button>
            {copy && <button type="button" className="btn btn-outline-primary" onClick={() => window.print()}>Stampa</button>}
          </div>
        </form>
      </div>
      <div aria-live="polite">{loading && <p className="text-muted">Caricamento…</p>}</div>
      <ErrorAlert error={error} />
      {copy && <Copia copy={copy} />}
    </>
  );
}
