import { useRef, useState } from 'react';
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
import { formatDateTime } from '../../format';
import { AttachmentList, CitizenFacts, Fact, RequestHeader, TopicFacts } from '../../components/request/RequestFacts';
import { useRequestDetail } from '../../components/request/useRequestDetail';
import { Cronologia } from '../detail/Cronologia';
import { Inoltra } from './Inoltra';
import { Risposta } from './Risposta';

type Sede = components['schemas']['SedeView'];

export const GONE_MESSAGE = 'La richiesta non è tra quelle della tua sede: potrebbe essere stata inoltrata ad altra sede.';

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
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [confirmClose, setConfirmClose] = useState(false);
  const [closeNote, setCloseNote] = useState('');
  const [forwarding, setForwarding] = useState(false);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());

  const { data, reread } = useRequestDetail(id);

  /** One command: its own Idempotency-Key, then a re-read that waits for its position. */
  async function run(input: unknown, call: (key: string) => Promise<CommandAccepted>, message: string) {
    setBusy(true);
    try {
      const a = await call(keys.current.keyFor(input));
      keys.current.done();
      setNotice(message);
      setActionError(null);
      reread(a.position);
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
      const a = await unwrap(api.POST('/api/v1/requests/{id}/forward', {
        params: { path: { id } }, headers: idem(keys.current.keyFor({ forward: id, body })), body,
      }));
      keys.current.done();
      // The request now belongs to the other sede: this one can no longer read it.
      navigate('/sede/richieste', {
        state: { flash: `Richiesta ${data.data?.detail.request.protocol ?? ''} inoltrata alla sede ${to.name}: non è più tra le richieste della tua sede.`, minPosition: a.position },
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
  const appointment = detail.appointment && !detail.appointment.past ? detail.appointment : null;

  return (
    <>
      <Breadcrumb />
      <RequestHeader detail={detail} heading="Dettaglio e risposta" sentLabel="inviata il" notice={notice}
        actionError={actionError} readError={data.error} />

      <div className="row">
        <section className="col-12 col-lg-6 mb-4" aria-labelledby="dati-richiesta">
          <h2 id="dati-richiesta" className="h4">Dati della richiesta</h2>
          <dl className="row">
            <TopicFacts request={r} />
            <Fact label="Patronato">{detail.patronato_name} – {detail.office_name}</Fact>
            <Fact label="Sede di destinazione">{detail.current_sede_name}{r.forwards > 0 && ` (inoltrata da ${detail.origin_sede_name})`}</Fact>
            <Fact label="In carico a">{detail.in_charge_by_name ?? 'Nessuno'}</Fact>
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
        <CitizenFacts request={r} />
      </div>

      <AttachmentList requestId={id} title="Allegati" attachments={detail.attachments} />

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
        onSent={(a) => { setNotice('Risposta inviata al patronato.'); setActionError(null); reread(a.position); }} />

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
