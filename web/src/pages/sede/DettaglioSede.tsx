import { useRef, useState, type ReactNode } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { idem, type CommandAccepted } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ActionButton, findAction } from '../../components/ActionButton';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { LinkButton } from '../../components/LinkButton';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { StatusBadge } from '../../components/StatusBadge';
import { formatBytes, formatDate, formatDateTime, formatIsoDay } from '../../format';
import { useAsync } from '../../useAsync';
import { Cronologia } from '../detail/Cronologia';
import { Inoltra } from './Inoltra';
import { Risposta } from './Risposta';

type Detail = components['schemas']['RequestDetail'];
type Entry = components['schemas']['TimelineItem'];
type Sede = components['schemas']['SedeView'];

export const GONE_MESSAGE = 'La richiesta non è tra quelle della tua sede: potrebbe essere stata inoltrata ad altra sede.';

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="col-sm-5 col-lg-4">{label}</dt>
      <dd className="col-sm-7 col-lg-8">{children}</dd>
    </>
  );
}

function Breadcrumb() {
  return (
    <nav aria-label="Percorso di navigazione" className="breadcrumb-container">
      <ol className="breadcrumb p-0">
        <li className="breadcrumb-item"><Link to="/sede/richieste">Richieste in arrivo</Link><span className="separator">/</span></li>
        <li className="breadcrumb-item active" aria-current="page">Dettaglio e risposta</li>
      </ol>
    </nav>
  );
}

/** Dettaglio e risposta: the operator's timeline and facts, and the sede's commands from next_actions. */
export function DettaglioSede() {
  const { id = '' } = useParams();
  const me = useMe();
  const navigate = useNavigate();
  const [minPosition, setMinPosition] = useState<number | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [confirmClose, setConfirmClose] = useState(false);
  const [closeNote, setCloseNote] = useState('');
  const [forwarding, setForwarding] = useState(false);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());

  const query = minPosition ? { min_position: minPosition } : {};
  const data = useAsync<{ detail: Detail; timeline: Entry[] }>(async () => {
    const [detail, timeline] = await Promise.all([
      unwrap(api.GET('/api/v1/requests/{id}', { params: { path: { id }, query } })),
      unwrap(api.GET('/api/v1/requests/{id}/timeline', { params: { path: { id }, query } })),
    ]);
    return { detail, timeline };
  }, `${id}/${minPosition ?? ''}`);

  /** One command: its own Idempotency-Key, then a re-read that waits for its position. */
  async function run(input: unknown, call: (key: string) => Promise<CommandAccepted>, message: string) {
    setBusy(true);
    try {
      const a = await call(keys.current.keyFor(input));
      keys.current.done();
      setNotice(message);
      setActionError(null);
      setMinPosition(a.position);
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const takeInCharge = () => run({ take: id }, (key) => unwrap(api.POST('/api/v1/requests/{id}/take-in-charge', {
    params: { path: { id } }, headers: idem(key),
  })), 'Richiesta presa in carico.');

  const enableAppointment = () => run({ enable: id }, (key) => unwrap(api.POST('/api/v1/requests/{id}/appointment-enablement', {
    params: { path: { id } }, headers: idem(key),
  })), 'Prenotazione dell’appuntamento abilitata per il patronato.');

  function close() {
    setConfirmClose(false);
    const body = { note: closeNote.trim() || null };
    void run({ close: id, body }, (key) => unwrap(api.POST('/api/v1/requests/{id}/close', {
      params: { path: { id } }, headers: idem(key), body,
    })), 'Conversazione chiusa.');
  }

  async function forward(to: Sede, reason: string) {
    const body = { to_sede: to.code, reason };
    setBusy(true);
    try {
      await unwrap(api.POST('/api/v1/requests/{id}/forward', {
        params: { path: { id } }, headers: idem(keys.current.keyFor({ forward: id, body })), body,
      }));
      keys.current.done();
      // The request now belongs to the other sede: this one can no longer read it.
      navigate('/sede/richieste', {
        state: { flash: `Richiesta ${data.data?.detail.request.protocol ?? ''} inoltrata alla sede ${to.name}: non è più tra le richieste della tua sede.` },
      });
    } catch (e) {
      setActionError(toApiError(e));
      setBusy(false);
    }
  }

  if (data.error && !data.data) {
    const gone = data.error.status === 404;
    return (
      <>
        <Breadcrumb />
        <PageHeading title="Dettaglio e risposta">Dettaglio e risposta</PageHeading>
        {gone ? <div role="alert" className="alert alert-warning">{GONE_MESSAGE}</div> : <ErrorAlert error={data.error} />}
        <Link to="/sede/richieste">Torna alle Richieste in arrivo</Link>
      </>
    );
  }
  if (!data.data) {
    return (
      <>
        <Breadcrumb />
        <PageHeading title="Dettaglio e risposta">Dettaglio e risposta</PageHeading>
        <p role="status">Caricamento…</p>
      </>
    );
  }

  const { detail, timeline } = data.data;
  const r = detail.request;
  const actions = detail.next_actions;
  const citizen = [r.citizen_surname, r.citizen_name].filter(Boolean).join(' ');
  const attachments = detail.attachments.filter((a) => !a.removed_at);
  const appointment = detail.appointment && !detail.appointment.past ? detail.appointment : null;

  return (
    <>
      <Breadcrumb />
      <PageHeading title={`Richiesta ${r.protocol}`}>Dettaglio e risposta</PageHeading>
      <p className="lead mb-1">{r.subject}</p>
      <p>
        Protocollo <Mono>{r.protocol}</Mono> · inviata il {formatDateTime(r.sent_at)} · <StatusBadge status={r.status} label={detail.status_label} />
      </p>

      <div aria-live="polite">{notice && <div className="alert alert-success">{notice}</div>}</div>
      <ErrorAlert error={actionError} focus />
      {data.error && <ErrorAlert error={data.error} />}

      <div className="row">
        <section className="col-12 col-lg-6 mb-4" aria-labelledby="dati-richiesta">
          <h2 id="dati-richiesta" className="h4">Dati della richiesta</h2>
          <dl className="row">
            <Fact label="Motivo del contatto">{r.topic_label}</Fact>
            {r.subtopic_label && <Fact label="Sotto-tematica">{r.subtopic_label}</Fact>}
            {r.practice_ref_kind && <Fact label="Riferimento della pratica">{r.practice_ref_kind} <Mono>{r.practice_ref_value}</Mono></Fact>}
            <Fact label="Patronato">{r.patronato} – ufficio {r.office}</Fact>
            <Fact label="Sede di destinazione">{detail.current_sede_name}{r.forwards > 0 && ` (inoltrata da ${detail.origin_sede_name})`}</Fact>
            <Fact label="In carico a">{r.in_charge_by ?? 'Nessuno'}</Fact>
            <Fact label="Interazioni residue">{detail.interactions_left} di 2</Fact>
            <Fact label="Solleciti">{r.solleciti}{r.last_sollecito_at ? ` (ultimo il ${formatDateTime(r.last_sollecito_at)})` : ''}</Fact>
            <Fact label="Appuntamento">
              {appointment
                ? <>{formatDateTime(appointment.start)} presso {appointment.sede_name} – codice <Mono>{appointment.code}</Mono></>
                : r.appointment_enabled ? 'Prenotazione abilitata, nessun appuntamento prenotato' : 'Nessun appuntamento'}
            </Fact>
            {r.notes && <Fact label="Note">{r.notes}</Fact>}
          </dl>
        </section>
        <section className="col-12 col-lg-6 mb-4" aria-labelledby="dati-cittadino">
          <h2 id="dati-cittadino" className="h4">Dati anagrafici</h2>
          {r.requester_kind === 'own_behalf' ? (
            <p>Richiesta per conto proprio del referente regionale.</p>
          ) : (
            <dl className="row">
              <Fact label="Cittadino">{citizen || '–'}</Fact>
              <Fact label="Codice fiscale"><Mono>{r.codice_fiscale}</Mono></Fact>
              {r.citizen_birth_date && <Fact label="Data di nascita">{formatIsoDay(r.citizen_birth_date)}</Fact>}
            </dl>
          )}
        </section>
      </div>

      <section aria-labelledby="allegati" className="mb-4">
        <h2 id="allegati" className="h4">Allegati</h2>
        {attachments.length === 0 ? <p>Nessun allegato.</p> : (
          <ul className="list-unstyled">
            {attachments.map((a) => (
              <li key={a.attachment_id} className="d-flex flex-wrap align-items-center gap-2 mb-2">
                <LinkButton className="btn btn-link p-0" path={`/api/v1/requests/${id}/attachments/${a.attachment_id}`} label={`Scarica ${a.filename}`}>
                  {a.filename}
                </LinkButton>
                <span className="text-muted small">
                  {formatBytes(a.size)} · {a.side === 'sede' ? 'dalla sede' : 'dal patronato'} il {formatDate(a.added_at)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="azioni" className="mb-4">
        <h2 id="azioni" className="h4">Azioni</h2>
        <div className="d-flex flex-wrap gap-3 align-items-start">
          <ActionButton action={findAction(actions, 'take_in_charge')} busy={busy} onClick={takeInCharge}>Prendi in carico</ActionButton>
          <ActionButton action={findAction(actions, 'forward')} busy={busy} variant="outline-primary" onClick={() => setForwarding(true)}>
            Inoltra ad altra sede
          </ActionButton>
          <ActionButton action={findAction(actions, 'enable_appointment')} busy={busy} variant="outline-primary" onClick={enableAppointment}>
            Abilita appuntamento
          </ActionButton>
          <ActionButton action={findAction(actions, 'close')} busy={busy} variant="outline-primary" onClick={() => setConfirmClose(true)}>
            Chiudi conversazione
          </ActionButton>
          <LinkButton path={`/api/v1/requests/${id}/summary`} newTab>Stampa riepilogo</LinkButton>
        </div>
      </section>

      {forwarding && <Inoltra currentSede={r.current_sede} busy={busy} onForward={forward} onCancel={() => setForwarding(false)} />}

      <Risposta key={`${id}-${r.version}`} requestId={id} userId={me.id} action={findAction(actions, 'reply')}
        onSent={(a) => { setNotice('Risposta inviata al patronato.'); setActionError(null); setMinPosition(a.position); }} />

      <section aria-labelledby="cronologia">
        <h2 id="cronologia" className="h4">Cronologia comunicazione</h2>
        <Cronologia requestId={id} entries={timeline} />
      </section>

      <ConfirmDialog open={confirmClose} title="Chiudi la conversazione" confirmLabel="Chiudi conversazione"
        onConfirm={close} onCancel={() => setConfirmClose(false)}>
        <p>Chiusa la conversazione, il patronato non potrà più inviare comunicazioni su questa richiesta. Confermi?</p>
        <div className="form-group">
          <label htmlFor="close-note" className="active">Nota di chiusura (facoltativa)</label>
          <textarea id="close-note" className="form-control" rows={2} value={closeNote} onChange={(e) => setCloseNote(e.target.value)} />
        </div>
      </ConfirmDialog>
    </>
  );
}
