import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Mono } from '../../components/Mono';
import { formatBytes, formatIsoDay } from '../../format';
import { citizenLine, PRACTICE_KINDS, topicOf, type Draft, type RequestCheck, type Sede, type Topic } from './model';
import { describedBy, FieldError, StepNav } from './parts';

interface Props {
  draft: Draft;
  topics: Topic[];
  check: RequestCheck | null;
  checking: boolean;
  /** A refusal about the sede (destination_*), shown by its field. */
  sedeError: ApiError | null;
  /** The failure of "Invia" (network, or a rule). */
  sendError: ApiError | null;
  sending: boolean;
  onDestination: (s: Sede | null) => void;
  onBack: () => void;
  onSend: () => void;
}

function sedeLabel(s: { name: string; code: string; address?: string | null; city?: string | null }) {
  const where = [s.address, s.city].filter(Boolean).join(', ');
  return `${s.name} (${s.code})${where ? ` – ${where}` : ''}`;
}

/** Riepilogo e inoltro (manual §3.2.3, fig. 14–16): proposed sede and why, "Modifica sede", summary, Invia. */
export function Riepilogo({ draft, topics, check, checking, sedeError, sendError, sending, onDestination, onBack, onSend }: Props) {
  const [choosing, setChoosing] = useState(false);
  const modifica = useRef<HTMLButtonElement>(null);
  const topic = topicOf(topics, draft.form.topic);
  const subtopic = topic?.subtopics.find((s) => s.code === draft.form.subtopic);
  const kind = PRACTICE_KINDS.find((k) => k.value === draft.form.practiceKind);
  const c = draft.citizen;
  const withRef = topic?.requires_practice_ref && draft.form.practiceValue.trim() !== '';

  return (
    <>
      <section aria-labelledby="sede-title" className="mb-4 recent-panel p-3">
        <h3 id="sede-title" className="h5">Sede di inoltro</h3>
        {checking && !check && <p role="status">Calcolo della sede competente…</p>}
        <div aria-live="polite">
          {check && (
            <>
              <p className="mb-1 fw-semibold" id="sede-destination">{sedeLabel(check.destination)}</p>
              <p className="mb-2 text-muted" id="sede-reason">{check.reason}</p>
            </>
          )}
        </div>
        <FieldError id="sede-error" error={sedeError} />
        <div className="d-flex gap-2 flex-wrap">
          <button ref={modifica} type="button" className="btn btn-outline-primary btn-sm" aria-expanded={choosing} aria-controls="sede-chooser"
            aria-describedby={describedBy(check && 'sede-destination', sedeError && 'sede-error')} onClick={() => setChoosing((v) => !v)}>
            Modifica sede
          </button>
          {draft.destination && (
            <button type="button" className="btn btn-link btn-sm" onClick={() => { onDestination(null); modifica.current?.focus(); }}>
              Ripristina la sede proposta
            </button>
          )}
        </div>
        {choosing && (
          <SedeChooser onChoose={(s) => {
            setChoosing(false);
            onDestination(s);
            // The chosen button goes away with the list: the focus stays where the sede is shown.
            modifica.current?.focus();
          }} />
        )}
      </section>

      <section aria-labelledby="summary-title" className="mb-4">
        <h3 id="summary-title" className="h5">Riepilogo della richiesta</h3>
        <dl className="row summary">
          {c && (
            <>
              <dt className="col-sm-4">Cittadino</dt>
              <dd className="col-sm-8">
                {c.name} {c.surname} – <Mono>{c.codice_fiscale}</Mono>
                <br />
                <span className="text-muted">{citizenLine(c, formatIsoDay)}</span>
              </dd>
              <dt className="col-sm-4">Delega</dt>
              <dd className="col-sm-8">{draft.mandate ? 'Dichiarata' : 'Non dichiarata'}</dd>
            </>
          )}
          <dt className="col-sm-4">Motivo del contatto</dt>
          <dd className="col-sm-8">{topic?.label ?? '—'}</dd>
          <dt className="col-sm-4">Sotto-tematica</dt>
          <dd className="col-sm-8">{subtopic?.label ?? '—'}</dd>
          {withRef && (
            <>
              <dt className="col-sm-4">Riferimento della pratica</dt>
              <dd className="col-sm-8">{kind?.label}: <Mono>{draft.form.practiceValue.trim()}</Mono></dd>
            </>
          )}
          <dt className="col-sm-4">Testo della richiesta</dt>
          <dd className="col-sm-8 pre-wrap">{draft.form.text}</dd>
          <dt className="col-sm-4">Note</dt>
          <dd className="col-sm-8 pre-wrap">{draft.form.notes.trim() || '—'}</dd>
          <dt className="col-sm-4">Allegati</dt>
          <dd className="col-sm-8">
            {draft.form.attachments.length === 0 ? 'Nessuno' : (
              <ul className="list-unstyled mb-0">
                {draft.form.attachments.map((a) => <li key={a.id}>{a.filename} ({formatBytes(a.size)})</li>)}
              </ul>
            )}
          </dd>
        </dl>
      </section>

      <ErrorAlert error={sendError} focus />
      <StepNav onBack={onBack}>
        <button type="button" className="btn btn-primary steppers-btn-confirm" disabled={!check || checking || sending || sedeError !== null} onClick={onSend}>
          {sending ? 'Invio in corso…' : 'Invia'}
        </button>
      </StepNav>
    </>
  );
}

/** "Modifica sede" (fig. 15): the active sedi whose name or city matches. */
function SedeChooser({ onChoose }: { onChoose: (s: Sede) => void }) {
  const [q, setQ] = useState('');
  const [found, setFound] = useState<Sede[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  async function search(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const list = await unwrap(api.GET('/api/v1/sedi', { params: { query: { name: q.trim(), limit: 30 } } }));
      setFound(list.filter((s) => s.active));
    } catch (err) {
      setError(toApiError(err));
    }
  }

  return (
    <div id="sede-chooser" className="mt-3">
      <form onSubmit={search} className="d-flex gap-2 align-items-end flex-wrap" role="search" aria-label="Cerca una sede">
        <div className="form-group mb-0 flex-grow-1">
          <label htmlFor="sede-q" className="active">Nome o città della sede</label>
          <input id="sede-q" className="form-control" value={q} onChange={(e) => setQ(e.target.value)} autoComplete="off" />
        </div>
        <button type="submit" className="btn btn-primary btn-sm">Cerca sede</button>
      </form>
      <ErrorAlert error={error} />
      {found && (
        <>
          <p role="status" className="mt-2">{found.length === 0 ? 'Nessuna sede attiva trovata.' : `Sedi trovate: ${found.length}.`}</p>
          <ul className="list-group sede-results">
            {found.map((s) => (
              <li key={s.code} className="list-group-item d-flex justify-content-between align-items-center gap-2 flex-wrap">
                <span>{sedeLabel(s)}</span>
                <button type="button" className="btn btn-outline-primary btn-sm" onClick={() => onChoose(s)}>
                  Scegli<span className="visually-hidden"> {s.name}</span>
                </button>
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
