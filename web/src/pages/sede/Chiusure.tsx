import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { PageHeading } from '../../components/PageHeading';
import { formatIsoDay } from '../../format';
import { useServiceToday } from '../../useServiceToday';
import { useAsync } from '../../useAsync';

type Calendar = components['schemas']['SedeCalendarView'];
type Counters = components['schemas']['CountersView'];

type Withdraw = { kind: 'closure' | 'notice'; id: string; what: string };

/** Chiusure e avvisi: the sede's closures and dated notices, as the booking app shows them. */
export function Chiusure() {
  const me = useMe();
  const sede = me.sede?.code ?? '';
  // The dates start from the service's today (decision E4) until the user picks one (null: not yet).
  const { today } = useServiceToday();
  const [closureForm, setClosure] = useState<{ date: string | null; counter: string; reason: string }>({ date: null, counter: '', reason: '' });
  const [noticeForm, setNotice] = useState<{ from: string | null; to: string | null; counter: string; text: string }>(
    { from: null, to: null, counter: '', text: '' });
  const closure = { ...closureForm, date: closureForm.date ?? today ?? '' };
  const notice = { ...noticeForm, from: noticeForm.from ?? today ?? '', to: noticeForm.to ?? today ?? '' };
  // After a command the calendar is read at its position (read-your-writes).
  const [minPosition, setMinPosition] = useState<number | undefined>(undefined);
  const readAfter = minPosition ? { min_position: minPosition } : {};
  const [done, setDone] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [withdraw, setWithdraw] = useState<Withdraw | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());

  const counters = useAsync<Counters>(() => unwrap(api.GET('/api/v1/sedi/{sede}/counters', { params: { path: { sede } } })), sede);
  const calendar = useAsync<Calendar>(() => unwrap(api.GET('/api/v1/sedi/{sede}/closures', {
    params: { path: { sede }, query: readAfter },
  })), `${sede}/${minPosition ?? ''}`);
  const counterName = (c: string | null | undefined) =>
    c ? counters.data?.items.find((x) => x.counter === c)?.name ?? c : 'Tutta la sede';

  async function run(input: unknown, call: (key: string) => Promise<{ position: number }>, message: string, after?: () => void) {
    setBusy(true);
    try {
      const a = await call(keys.current.keyFor(input));
      keys.current.done();
      setDone(message);
      setError(null);
      after?.();
      setMinPosition(a.position);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  function declare(e: FormEvent) {
    e.preventDefault();
    const body = { date: closure.date, reason: closure.reason.trim(), counter: closure.counter || null };
    void run({ closure: body }, (key) => unwrap(api.POST('/api/v1/sedi/{sede}/closures', {
      params: { path: { sede } }, headers: idem(key), body,
    })), `Chiusura del ${formatIsoDay(body.date)} dichiarata.`, () => setClosure({ ...closure, reason: '' }));
  }

  function publish(e: FormEvent) {
    e.preventDefault();
    const body = { from: notice.from, to: notice.to, text: notice.text.trim(), counter: notice.counter || null };
    void run({ notice: body }, (key) => unwrap(api.POST('/api/v1/sedi/{sede}/notices', {
      params: { path: { sede } }, headers: idem(key), body,
    })), 'Avviso pubblicato.', () => setNotice({ ...notice, text: '' }));
  }

  function confirmWithdraw() {
    const w = withdraw;
    setWithdraw(null);
    if (!w) return;
    if (w.kind === 'closure') {
      void run({ withdrawClosure: w.id }, (key) => unwrap(api.DELETE('/api/v1/sedi/{sede}/closures/{closure_id}', {
        params: { path: { sede, closure_id: w.id } }, headers: idem(key),
      })), 'Chiusura revocata.');
    } else {
      void run({ withdrawNotice: w.id }, (key) => unwrap(api.DELETE('/api/v1/sedi/{sede}/notices/{notice_id}', {
        params: { path: { sede, notice_id: w.id } }, headers: idem(key),
      })), 'Avviso ritirato.');
    }
  }

  const counterSelect = (id: string, value: string, onChange: (v: string) => void, all: string) => (
    <div className="select-wrapper col-12 col-md-4">
      <label htmlFor={id}>Sportello</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {counters.data?.items.map((c) => <option key={c.counter} value={c.counter}>{c.name}</option>)}
      </select>
    </div>
  );

  const closures = calendar.data?.closures ?? [];
  const notices = calendar.data?.notices ?? [];

  return (
    <>
      <PageHeading title="Chiusure e avvisi">Chiusure e avvisi</PageHeading>
      <p>Le chiusure e gli avvisi della sede {me.sede?.name ?? sede} compaiono ai cittadini nel calendario di prenotazione.</p>
      <div aria-live="polite">{done && <div className="alert alert-success">{done}</div>}</div>
      <ErrorAlert error={error} focus />
      <ErrorAlert error={calendar.error ?? counters.error} />

      <section aria-labelledby="chiusure" className="mb-5">
        <h2 id="chiusure" className="h4">Chiusure</h2>
        {closures.length === 0 ? <p>Nessuna chiusura dichiarata.</p> : (
          <ul className="list-unstyled">
            {closures.map((c) => (
              <li key={c.closure_id} className="d-flex flex-wrap gap-2 align-items-center border-top py-2">
                <span><strong>{formatIsoDay(c.date)}</strong> · {counterName(c.counter)} · {c.reason}</span>
                <button type="button" className="btn btn-sm btn-outline-danger" disabled={busy}
                  onClick={() => setWithdraw({ kind: 'closure', id: c.closure_id, what: `la chiusura del ${formatIsoDay(c.date)}` })}>
                  Revoca<span className="visually-hidden"> la chiusura del {formatIsoDay(c.date)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <form className="row g-3 align-items-end" onSubmit={declare} aria-labelledby="nuova-chiusura">
          <h3 id="nuova-chiusura" className="h5 col-12 mb-0">Dichiara una chiusura</h3>
          <Field className="col-12 col-md-4" label="Giorno di chiusura" type="date" required value={closure.date}
            onChange={(e) => setClosure({ ...closure, date: e.target.value })} />
          {counterSelect('closure-counter', closure.counter, (v) => setClosure({ ...closure, counter: v }), 'Tutta la sede')}
          <Field className="col-12 col-md-4" label="Motivo della chiusura" required value={closure.reason}
            onChange={(e) => setClosure({ ...closure, reason: e.target.value })} />
          <div className="col-12">
            <button type="submit" className="btn btn-primary" disabled={busy || !closure.reason.trim()}>Dichiara chiusura</button>
          </div>
        </form>
      </section>

      <section aria-labelledby="avvisi" className="mb-4">
        <h2 id="avvisi" className="h4">Avvisi</h2>
        {notices.length === 0 ? <p>Nessun avviso pubblicato.</p> : (
          <ul className="list-unstyled">
            {notices.map((n) => (
              <li key={n.notice_id} className="d-flex flex-wrap gap-2 align-items-center border-top py-2">
                <span>
                  <strong>Dal {formatIsoDay(n.from)} al {formatIsoDay(n.to)}</strong> · {counterName(n.counter)} · {n.text}
                </span>
                <button type="button" className="btn btn-sm btn-outline-danger" disabled={busy}
                  onClick={() => setWithdraw({ kind: 'notice', id: n.notice_id, what: `l’avviso dal ${formatIsoDay(n.from)}` })}>
                  Ritira<span className="visually-hidden"> l’avviso dal {formatIsoDay(n.from)}</span>
                </button>
              </li>
            ))}
          </ul>
        )}
        <form className="row g-3 align-items-end" onSubmit={publish} aria-labelledby="nuovo-avviso">
          <h3 id="nuovo-avviso" className="h5 col-12 mb-0">Pubblica un avviso</h3>
          <Field className="col-12 col-md-4" label="Valido dal" type="date" required value={notice.from}
            onChange={(e) => setNotice({ ...notice, from: e.target.value })} />
          <Field className="col-12 col-md-4" label="Valido al" type="date" required value={notice.to}
            onChange={(e) => setNotice({ ...notice, to: e.target.value })} />
          {counterSelect('notice-counter', notice.counter, (v) => setNotice({ ...notice, counter: v }), 'Tutti gli sportelli')}
          <div className="form-group col-12">
            <label htmlFor="notice-text" className="active">Testo dell’avviso</label>
            <textarea id="notice-text" className="form-control" rows={3} required value={notice.text}
              onChange={(e) => setNotice({ ...notice, text: e.target.value })} />
          </div>
          <div className="col-12">
            <button type="submit" className="btn btn-primary" disabled={busy || !notice.text.trim()}>Pubblica avviso</button>
          </div>
        </form>
      </section>

      <ConfirmDialog open={withdraw !== null} title={withdraw?.kind === 'closure' ? 'Revoca la chiusura' : 'Ritira l’avviso'}
        confirmLabel={withdraw?.kind === 'closure' ? 'Revoca chiusura' : 'Ritira avviso'}
        onConfirm={confirmWithdraw} onCancel={() => setWithdraw(null)}>
        <p>Confermi di voler togliere {withdraw?.what}? I cittadini non la vedranno più.</p>
      </ConfirmDialog>
    </>
  );
}
