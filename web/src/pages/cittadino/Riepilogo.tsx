import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { Mono } from '../../components/Mono';
import { PageHeading } from '../../components/PageHeading';
import { formatIsoDay } from '../../format';
import { useAsync } from '../../useAsync';
import { announcement, clock } from './countdown';
import { clearPendingHold, pendingHold, rememberBooking } from './device';
import { Shell, useCitizen } from './Shell';

type Counters = components['schemas']['CountersView'];
type Mode = 'in_presenza' | 'ricontatto_telefonico' | 'web_meeting';

const MODES: { mode: Mode; label: string; note: string }[] = [
  { mode: 'in_presenza', label: 'Accesso in sede', note: 'Il servizio sarà erogato presso lo sportello di Sede.' },
  {
    mode: 'ricontatto_telefonico',
    label: 'Ricontatto telefonico',
    note: 'Il servizio sarà erogato mediante ricontatto telefonico da parte di un operatore INPS.',
  },
  {
    mode: 'web_meeting',
    label: 'Web Meeting',
    note: 'Il servizio sarà erogato tramite web meeting ed è riservato agli utenti autenticati. Assicurati di essere in possesso di un PC o smartphone muniti di videocamera, microfono e cuffie necessari per entrare in contatto con un operatore INPS.',
  },
];

const MAX_REASON = 150;

/** The time left of the hold, every second; the live region hears it only now and then. */
function Countdown({ deadline, onExpired }: { deadline: number; onExpired: () => void }) {
  const [now, setNow] = useState(() => Date.now());
  const [spoken, setSpoken] = useState('');
  const expiredRef = useRef(onExpired);
  useEffect(() => {
    expiredRef.current = onExpired;
  });
  useEffect(() => {
    let done = false;
    const t = window.setInterval(() => {
      const n = Date.now();
      setNow(n);
      const secs = Math.max(0, Math.ceil((deadline - n) / 1000));
      const say = announcement(secs);
      if (say) setSpoken(say);
      if (secs <= 0 && !done) {
        done = true;
        expiredRef.current();
      }
    }, 1000);
    return () => window.clearInterval(t);
  }, [deadline]);
  const left = deadline - now;
  const seconds = Math.max(0, Math.ceil(left / 1000));
  return (
    <div className="alert alert-warning countdown">
      <p className="mb-1 fw-semibold">ATTENZIONE! Conferma la prenotazione entro 5 minuti</p>
      <p className="mb-0">
        Tempo rimasto: <span className="countdown-clock" aria-hidden="true">{clock(left)}</span>
        <span className="visually-hidden">{Math.ceil(seconds / 60)} minuti circa</span>
      </p>
      <p className="visually-hidden" aria-live="polite" role="status">{spoken}</p>
    </div>
  );
}

/** "Riepilogo prenotazione": service, mode, reason, contacts, CONFERMA within the 5 minutes. */
export function Riepilogo() {
  const navigate = useNavigate();
  const { signedIn, codiceFiscale } = useCitizen();
  const [hold] = useState(pendingHold);
  const [service, setService] = useState('');
  const [mode, setMode] = useState<Mode>('in_presenza');
  const [reason, setReason] = useState('');
  const [mobile, setMobile] = useState('');
  const [email, setEmail] = useState('');
  const [expired, setExpired] = useState(() => (hold ? hold.deadline <= Date.now() : false));
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());
  const counters = useAsync<Counters>(
    () => unwrap(api.GET('/api/v1/sedi/{sede}/counters', { params: { path: { sede: hold?.sede ?? '' } } })),
    hold?.sede ?? '',
  );
  if (!hold) return <Navigate to="/prenota/sede" replace />;
  const counter = counters.data?.items.find((c) => c.counter === hold.counter);
  const modes = MODES.filter((m) => m.mode !== 'web_meeting' || (signedIn && counters.data?.web_meeting));
  const cf = hold.codiceFiscale ?? codiceFiscale ?? '';

  async function confirm(e: FormEvent) {
    e.preventDefault();
    if (!hold || expired) return;
    setError(null);
    setBusy(true);
    const body = {
      mode,
      service: service || undefined,
      reason: reason.trim() || undefined,
      mobile: mobile.trim() || undefined,
      email: email.trim() || undefined,
      codice_fiscale: hold.codiceFiscale ?? undefined,
    };
    try {
      const b = await unwrap(
        api.POST('/api/v1/holds/{hold_id}/confirmation', {
          params: { path: { hold_id: hold.holdId }, header: idem(keys.current.keyFor(body)) },
          body,
        }),
      );
      keys.current.done();
      clearPendingHold();
      if (!signedIn) rememberBooking({ id: b.booking_id, code: b.code });
      navigate(`/prenota/prenotazioni/${b.booking_id}?min_position=${b.position}`);
    } catch (err) {
      const problem = toApiError(err);
      setError(problem);
      if (problem.code === 'hold_expired' || problem.code === 'hold_not_found') setExpired(true);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Shell>
      <PageHeading title="Riepilogo prenotazione">Riepilogo prenotazione</PageHeading>
      {expired ? (
        <div className="alert alert-danger" role="alert">
          Sono trascorsi più di 5 minuti: l’orario non è più riservato. Scegli di nuovo un orario.
          <div className="mt-2">
            <Link className="btn btn-primary btn-lg w-100" to={`/prenota/sede/${hold.sede}/${hold.counter}`} onClick={() => clearPendingHold()}>
              Scegli un altro orario
            </Link>
          </div>
        </div>
      ) : (
        <Countdown deadline={hold.deadline} onExpired={() => setExpired(true)} />
      )}
      <dl className="riepilogo">
        <dt>Sede</dt>
        <dd>{counters.data?.sede_name.toUpperCase() ?? hold.sede}</dd>
        <dt>Sportello</dt>
        <dd>{counter?.name.toUpperCase() ?? hold.counter}</dd>
        <dt>Codice Fiscale</dt>
        <dd><Mono>{cf}</Mono></dd>
        <dt>Data di prenotazione</dt>
        <dd>{formatIsoDay(hold.date)}</dd>
        <dt>Orario prenotazione</dt>
        <dd>{hold.time}</dd>
      </dl>
      <form onSubmit={confirm} noValidate>
        {counter && counter.services.length > 0 && (
          <div className="select-wrapper mb-4">
            <label htmlFor="servizio">Scegli il servizio richiesto</label>
            <select id="servizio" value={service} onChange={(e) => setService(e.target.value)}>
              <option value="">Seleziona…</option>
              {counter.services.map((s) => <option key={s.code} value={s.code}>{s.name}</option>)}
            </select>
          </div>
        )}
        <fieldset className="mb-4">
          <legend className="h6">Scegli la modalità di erogazione del servizio</legend>
          {modes.map((m) => (
            <div className="form-check" key={m.mode}>
              <input className="form-check-input" type="radio" name="modalita" id={`modalita-${m.mode}`} checked={mode === m.mode} onChange={() => setMode(m.mode)} />
              <label className="form-check-label" htmlFor={`modalita-${m.mode}`}>{m.label}</label>
            </div>
          ))}
          <p className="small mt-2 mb-0"><strong>Attenzione:</strong> {MODES.find((m) => m.mode === mode)?.note}</p>
        </fieldset>
        <div className="form-group">
          <label htmlFor="motivo" className="active">È possibile descrivere in breve il motivo della prenotazione</label>
          <textarea id="motivo" className="form-control" rows={3} maxLength={MAX_REASON} value={reason} aria-describedby="motivo-hint" onChange={(e) => setReason(e.target.value)} />
          <small id="motivo-hint" className="form-text">Max {MAX_REASON} caratteri (ancora {MAX_REASON - [...reason].length})</small>
        </div>
        <p>È possibile inserire uno o più recapiti per essere contattato dalla Sede INPS in caso di necessità</p>
        <Field label="Numero di telefono cellulare" type="tel" autoComplete="tel" value={mobile} onChange={(e) => setMobile(e.target.value)} />
        <Field label="Indirizzo e-mail" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <ErrorAlert error={error} focus />
        <button type="submit" className="btn btn-primary btn-lg w-100" disabled={busy || expired}>
          Conferma
        </button>
      </form>
    </Shell>
  );
}
