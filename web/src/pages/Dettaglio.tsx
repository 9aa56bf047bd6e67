import { useRef, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { idem } from '../api/commands';
import { IdempotencyKeys } from '../api/ids';
import { toApiError, type ApiError } from '../api/problem';
import type { components } from '../api/schema';
import { useMe } from '../auth/AuthContext';
import { ActionButton, findAction } from '../components/ActionButton';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { ErrorAlert } from '../components/ErrorAlert';
import { LinkButton } from '../components/LinkButton';
import { Mono } from '../components/Mono';
import { PageHeading } from '../components/PageHeading';
import { StatusBadge } from '../components/StatusBadge';
import { formatBytes, formatDate, formatDateTime, formatIsoDay } from '../format';
import { useAsync } from '../useAsync';
import { Appuntamento } from './detail/Appuntamento';
import { Cronologia } from './detail/Cronologia';
import { NuovaComunicazione } from './detail/NuovaComunicazione';

type Detail = components['schemas']['RequestDetail'];
type Entry = components['schemas']['TimelineItem'];

const PRACTICE: Record<string, string> = {
  protocollo: 'Protocollo',
  domus: 'Domus',
  pensione: 'Pensione',
  domanda_rdc: 'Domanda RdC',
  domanda_rem: 'Domanda REM',
};

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <>
      <dt className="col-sm-5 col-lg-4">{label}</dt>
      <dd className="col-sm-7 col-lg-8">{children}</dd>
    </>
  );
}

/** "Dettaglio richiesta selezionata" (manual fig. 19–20). */
export function Dettaglio() {
  const { id = '' } = useParams();
  const me = useMe();
  // The position of the user's last command: reads wait for it (read-your-writes).
  const [minPosition, setMinPosition] = useState<number | undefined>(undefined);
  const [notice, setNotice] = useState<string | null>(null);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  const [confirmSollecito, setConfirmSollecito] = useState(false);
  const [removeId, setRemoveId] = useState<string | null>(null);
  const [booking, setBooking] = useState(false);
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

  function after(position: number, message: string) {
    setNotice(message);
    setActionError(null);
    setMinPosition(position);
  }

  async function sollecita() {
    setConfirmSollecito(false);
    setBusy(true);
    try {
      const a = await unwrap(api.POST('/api/v1/requests/{id}/solleciti', {
        params: { path: { id } },
        headers: idem(keys.current.keyFor({ sollecito: id })),
      }));
      keys.current.done();
      after(a.position, 'Sollecito inviato alla sede.');
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  async function removeAttachment() {
    const att = removeId;
    setRemoveId(null);
    if (!att) return;
    setBusy(true);
    try {
      const a = await unwrap(api.DELETE('/api/v1/requests/{id}/attachments/{attachment_id}', {
        params: { path: { id, attachment_id: att } },
        headers: idem(keys.current.keyFor({ remove: att })),
      }));
      keys.current.done();
      after(a.position, 'Allegato rimosso.');
    } catch (e) {
      setActionError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  if (data.error && !data.data) {
    return (
      <>
        <PageHeading title="Dettaglio richiesta">Dettaglio richiesta</PageHeading>
        <ErrorAlert error={data.error} />
        <Link to="/storico">Torna allo Storico richieste</Link>
      </>
    );
  }
  if (!data.data) {
    return (
      <>
        <PageHeading title="Dettaglio richiesta">Dettaglio richiesta</PageHeading>
        <p role="status">Caricamento…</p>
      </>
    );
  }

  const { detail, timeline } = data.data;
  const r = detail.request;
  const actions = detail.next_actions;
  const appointment = detail.appointment && !detail.appointment.past ? detail.appointment : null;
  const citizen = [r.citizen_surname, r.citizen_name].filter(Boolean).join(' ');
  const attachments = detail.attachments.filter((a) => !a.removed_at);
  const removing = attachments.find((a) => a.attachment_id === removeId);

  return (
    <>
      <nav aria-label="Percorso di navigazione" className="breadcrumb-container">
        <ol className="breadcrumb p-0">
          <li className="breadcrumb-item"><Link to="/storico">Storico richieste</Link><span className="separator">/</span></li>
          <li className="breadcrumb-item active" aria-current="page">Dettaglio richiesta</li>
        </ol>
      </nav>
      <PageHeading title={`Richiesta ${r.protocol}`}>Dettaglio richiesta</PageHeading>
      <p className="lead mb-1">{r.subject}</p>
      <p>
        Protocollo <Mono>{r.protocol}</Mono> · aperta il {formatDateTime(r.sent_at)} · <StatusBadge status={r.status} label={detail.status_label} />
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
            {r.practice_ref_kind && (
              <Fact label="Riferimento della pratica">
                {PRACTICE[r.practice_ref_kind] ?? r.practice_ref_kind} <Mono>{r.practice_ref_value}</Mono>
              </Fact>
            )}
            <Fact label="Sede di destinazione">{detail.current_sede_name}{r.forwards > 0 && ` (inoltrata da ${detail.origin_sede_name})`}</Fact>
            <Fact label="Ultimo sollecito">{r.last_sollecito_at ? formatDateTime(r.last_sollecito_at) : 'Nessun sollecito'}</Fact>
            <Fact label="Appuntamento">
              {appointment
                ? <>{formatDateTime(appointment.start)} presso {appointment.sede_name} – codice <Mono>{appointment.code}</Mono></>
                : 'Nessun appuntamento prenotato'}
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
        <h2 id="allegati" className="h4">Allegati della richiesta</h2>
        {attachments.length === 0 ? (
          <p>Nessun allegato.</p>
        ) : (
          <ul className="list-unstyled">
            {attachments.map((a) => (
              <li key={a.attachment_id} className="d-flex flex-wrap align-items-center gap-2 mb-2">
                <LinkButton className="btn btn-link p-0" path={`/api/v1/requests/${id}/attachments/${a.attachment_id}`}
                  label={`Scarica ${a.filename}`}>
                  {a.filename}
                </LinkButton>
                <span className="text-muted small">
                  {formatBytes(a.size)} · {a.side === 'sede' ? 'dalla sede' : 'dal patronato'} il {formatDate(a.added_at)}
                </span>
                {a.removable ? (
                  <button type="button" className="btn btn-sm btn-outline-danger" onClick={() => setRemoveId(a.attachment_id)} disabled={busy}>
                    Rimuovi<span className="visually-hidden"> {a.filename}</span>
                  </button>
                ) : (
                  a.side === 'patronato' && (
                    <span className="small text-muted">Non più rimovibile{a.removable_reason ? `: ${a.removable_reason}` : ''}</span>
                  )
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="azioni" className="mb-4">
        <h2 id="azioni" className="h4">Azioni</h2>
        <div className="d-flex flex-wrap gap-3 align-items-start">
          <ActionButton action={findAction(actions, 'send_sollecito')} busy={busy} onClick={() => setConfirmSollecito(true)}>
            Sollecita
          </ActionButton>
          <ActionButton action={findAction(actions, 'book_appointment')} busy={busy} variant="outline-primary"
            onClick={() => setBooking(true)}>
            Prenota appuntamento
          </ActionButton>
          <LinkButton path={`/api/v1/requests/${id}/summary`} newTab>Stampa riepilogo</LinkButton>
        </div>
      </section>

      {booking && (
        <Appuntamento requestId={id} sede={r.current_sede} sedeName={detail.current_sede_name} onClose={() => setBooking(false)}
          onBooked={(b) => { setBooking(false); after(b.position, `Appuntamento prenotato: codice ${b.code}.`); }} />
      )}

      <NuovaComunicazione key={`${id}-${r.version}`} requestId={id} userId={me.id}
        action={findAction(actions, 'send_message')} interactionsLeft={detail.interactions_left}
        onSent={(a) => after(a.position, 'Comunicazione inviata alla sede.')} />

      <section aria-labelledby="cronologia">
        <h2 id="cronologia" className="h4">Cronologia comunicazione</h2>
        <p className="small text-muted">
          Protocollo <Mono>{r.protocol}</Mono> · data di apertura {formatDate(r.sent_at)}
        </p>
        <Cronologia requestId={id} entries={timeline} />
      </section>

      <ConfirmDialog open={confirmSollecito} title="Sollecita la richiesta" confirmLabel="Invia sollecito"
        onConfirm={sollecita} onCancel={() => setConfirmSollecito(false)}>
        <p>Il sollecito sarà inviato alla sede {detail.current_sede_name} e non potrà essere annullato. Confermi?</p>
      </ConfirmDialog>
      <ConfirmDialog open={removeId !== null} title="Rimuovi allegato" confirmLabel="Rimuovi"
        onConfirm={removeAttachment} onCancel={() => setRemoveId(null)}>
        <p>Rimuovere l’allegato {removing?.filename}? L’operazione non può essere annullata.</p>
      </ConfirmDialog>
    </>
  );
}
