import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { PageHeading } from '../../components/PageHeading';
import { formatIsoDay, formatTime } from '../../format';
import { useAsync } from '../../useAsync';
import { POLL_MS, formatSeconds, queueAnnouncement, type QueueView } from './queue';

type Counters = components['schemas']['CountersView'];

function Figure({ label, value }: { label: string; value: string | number }) {
  return (
    // A dl may hold one div per group only: the column is the figure's box.
    <div className="col-6 col-md-3 queue-figure">
      <dt className="small">{label}</dt>
      <dd className="h3 mb-0">{value}</dd>
    </div>
  );
}

/** Coda: today's queue console of one counter, refreshing by itself. */
export function Coda() {
  const me = useMe();
  const sede = me.sede?.code ?? '';
  const [counter, setCounter] = useState('');
  const [desk, setDesk] = useState('1');
  const [bookingCode, setBookingCode] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());

  const counters = useAsync<Counters>(() => unwrap(api.GET('/api/v1/sedi/{sede}/counters', { params: { path: { sede } } })), sede);
  const chosen = counter || counters.data?.items.find((c) => c.active)?.counter || '';
  const queue = useAsync<QueueView | undefined>(async () => {
    if (!chosen) return undefined;
    return unwrap(api.GET('/api/v1/sedi/{sede}/counters/{counter}/queue', { params: { path: { sede, counter: chosen } } }));
  }, `${sede}/${chosen}`);
  const { reload } = queue;

  // Polling while the tab is visible: the figures follow the other desks' work.
  useEffect(() => {
    const t = window.setInterval(() => {
      if (document.visibilityState === 'visible') reload();
    }, POLL_MS);
    return () => window.clearInterval(t);
  }, [reload]);

  async function run(input: unknown, call: (key: string) => Promise<{ number: number }>, message: (n: number) => string) {
    setBusy(true);
    try {
      const a = await call(keys.current.keyFor(input));
      keys.current.done();
      setDone(message(a.number));
      setError(null);
      reload();
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const path = { sede, counter: chosen };
  function issue(e: FormEvent) {
    e.preventDefault();
    const body = { booking_code: bookingCode.trim() || null };
    void run({ issue: path, body }, (key) => unwrap(api.POST('/api/v1/sedi/{sede}/counters/{counter}/queue/tickets', {
      params: { path }, headers: idem(key), body,
    })), (n) => { setBookingCode(''); return `Emesso il biglietto numero ${n}.`; });
  }
  const callNext = () => {
    const body = { desk: desk.trim() || null };
    void run({ call: path, body }, (key) => unwrap(api.POST('/api/v1/sedi/{sede}/counters/{counter}/queue/calls', {
      params: { path }, headers: idem(key), body,
    })), (n) => `Chiamato il numero ${n}${body.desk ? ` allo sportello ${body.desk}` : ''}.`);
  };
  const finish = (n: number, outcome: 'served' | 'skipped') => {
    const params = { path: { ...path, number: n } };
    void run({ [outcome]: params }, (key) => unwrap(outcome === 'served'
      ? api.POST('/api/v1/sedi/{sede}/counters/{counter}/queue/tickets/{number}/served', { params, headers: idem(key) })
      : api.POST('/api/v1/sedi/{sede}/counters/{counter}/queue/tickets/{number}/skipped', { params, headers: idem(key) })),
    (x) => (outcome === 'served' ? `Numero ${x} servito.` : `Numero ${x} segnato come assente.`));
  };

  const q = queue.data;
  return (
    <>
      <PageHeading title="Coda">Coda</PageHeading>
      <p>La coda di oggi{q ? ` (${formatIsoDay(q.date)})` : ''} agli sportelli della sede {me.sede?.name ?? sede}. I dati si aggiornano da soli.</p>
      <ErrorAlert error={counters.error} />

      <div className="row g-3 align-items-end mb-3">
        <div className="select-wrapper col-12 col-md-6">
          <label htmlFor="queue-counter">Sportello</label>
          <select id="queue-counter" value={chosen} onChange={(e) => { setCounter(e.target.value); setDone(null); }}>
            {counters.data?.items.map((c) => <option key={c.counter} value={c.counter}>{c.name}</option>)}
          </select>
        </div>
        <Field className="col-12 col-md-6" label="Postazione (sportello n.)" value={desk} inputMode="numeric"
          onChange={(e) => setDesk(e.target.value)} />
      </div>

      {/* Only the waiting count and the ticket served are read out, and only when they change. */}
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">{queueAnnouncement(q)}</div>
      <div aria-live="polite">{done && <div className="alert alert-success">{done}</div>}</div>
      <ErrorAlert error={error} focus />
      <ErrorAlert error={queue.error} />

      {q && (
        <section aria-labelledby="stato-coda" className="mb-4">
          <h2 id="stato-coda" className="h4">Stato della coda</h2>
          <dl className="row g-2">
            <Figure label="Persone in coda" value={q.waiting} />
            <Figure label="Numero servito ora" value={q.now_serving ?? '–'} />
            <Figure label="Tempo medio di servizio" value={formatSeconds(q.average_service_seconds)} />
            <Figure label="Attesa stimata" value={formatSeconds(q.estimated_wait_seconds)} />
            <Figure label="Biglietti emessi" value={q.issued} />
            <Figure label="Serviti" value={q.served} />
            <Figure label="Assenti" value={q.skipped} />
            <Figure label="Attesa media" value={formatSeconds(q.average_wait_seconds)} />
          </dl>
        </section>
      )}

      {chosen && (
        <section aria-labelledby="comandi-coda" className="mb-4">
          <h2 id="comandi-coda" className="h4">Comandi</h2>
          <form className="row g-3 align-items-end" onSubmit={issue}>
            <Field className="col-12 col-md-6" label="Codice di prenotazione (facoltativo)" value={bookingCode} autoComplete="off"
              spellCheck={false} onChange={(e) => setBookingCode(e.target.value.toUpperCase())} />
            <div className="col-12 col-md-6 d-flex gap-2 flex-wrap">
              <button type="submit" className="btn btn-outline-primary" disabled={busy}>Emetti biglietto</button>
              <button type="button" className="btn btn-primary" disabled={busy || (q?.waiting ?? 0) === 0} onClick={callNext}>
                Chiama il prossimo
              </button>
            </div>
          </form>
        </section>
      )}

      {q && (
        <section aria-labelledby="in-servizio" className="mb-4">
          <h2 id="in-servizio" className="h4">Numeri chiamati</h2>
          {q.in_service.length === 0 ? <p>Nessun numero in servizio.</p> : (
            <ul className="list-unstyled">
              {q.in_service.map((t) => (
                <li key={t.number} className="d-flex flex-wrap gap-2 align-items-center border-top py-2">
                  <span>
                    <strong>Numero {t.number}</strong>
                    {t.desk ? ` · sportello ${t.desk}` : ''}
                    {t.called_at ? ` · chiamato alle ${formatTime(t.called_at)}` : ''}
                  </span>
                  <button type="button" className="btn btn-sm btn-primary" disabled={busy} onClick={() => finish(t.number, 'served')}>
                    Servito<span className="visually-hidden"> il numero {t.number}</span>
                  </button>
                  <button type="button" className="btn btn-sm btn-outline-primary" disabled={busy} onClick={() => finish(t.number, 'skipped')}>
                    Assente<span className="visually-hidden"> il numero {t.number}</span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </section>
      )}
    </>
  );
}
