import { useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { idem } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { ApiError, toApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { PageHeading } from '../../components/PageHeading';
import { formatIsoDay, formatLongDate } from '../../format';
import { useAsync } from '../../useAsync';
import { holdDeadline, savePendingHold } from './device';
import { monthName, shiftMonth, weeks } from './month';
import { Shell, useCitizen } from './Shell';

type Calendar = components['schemas']['CalendarView'];
type Slots = components['schemas']['DayView'];

const WEEKDAYS = ['Lun', 'Mar', 'Mer', 'Gio', 'Ven', 'Sab', 'Dom'];
const WEEKDAY_NAMES = ['lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato', 'domenica'];

/** The counter's month (green: days with free slots), the chosen day's times, and the hold. */
export function Calendario() {
  const { sede = '', counter = '' } = useParams();
  const navigate = useNavigate();
  const { signedIn } = useCitizen();
  const [month, setMonth] = useState<string | undefined>(undefined);
  const [day, setDay] = useState<string | null>(null);
  const [cf, setCf] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  // Times the API just refused as taken: hidden at once, even before the read model shows them taken.
  const [lost, setLost] = useState<string[]>([]);
  const keys = useRef(new IdempotencyKeys());

  const calendar = useAsync<Calendar>(
    () => unwrap(api.GET('/api/v1/sedi/{sede}/counters/{counter}/calendar', { params: { path: { sede, counter }, query: { month } } })),
    `${sede}/${counter}/${month ?? ''}`,
  );
  const slots = useAsync<Slots | null>(
    () => (day ? unwrap(api.GET('/api/v1/sedi/{sede}/counters/{counter}/slots', { params: { path: { sede, counter }, query: { date: day } } })) : Promise.resolve(null)),
    `${sede}/${counter}/${day ?? ''}`,
  );
  const shown = calendar.data?.month;
  const chosenDay = calendar.data?.days.find((d) => d.date === day);

  async function hold(start: string) {
    setError(null);
    const body = { start, codice_fiscale: signedIn ? undefined : cf.trim().toUpperCase() };
    if (!signedIn && !body.codice_fiscale) {
      setError(new ApiError(422, 'codice_fiscale_required', 'Per la prenotazione senza autenticazione è necessario inserire il codice fiscale.'));
      document.getElementById('cf-cittadino')?.focus();
      return;
    }
    setBusy(true);
    try {
      const h = await unwrap(
        api.POST('/api/v1/sedi/{sede}/counters/{counter}/holds', {
          params: { path: { sede, counter }, header: idem(keys.current.keyFor(body)) },
          body,
        }),
      );
      keys.current.done();
      savePendingHold({
        holdId: h.hold_id,
        sede: h.sede,
        counter: h.counter,
        start: h.slot.start,
        date: h.slot.date,
        time: h.slot.time,
        codiceFiscale: body.codice_fiscale ?? null,
        deadline: holdDeadline(),
      });
      navigate('/prenota/riepilogo');
    } catch (e) {
      const err = toApiError(e);
      setError(err);
      // Someone else took it: the day's times again, without the one just lost.
      if (err.code === 'slot_unavailable') {
        setLost((l) => [...l, start]);
        slots.reload();
        calendar.reload();
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <Shell>
      <PageHeading title="Calendario">{calendar.data ? calendar.data.counter_name.toUpperCase() : 'Calendario'}</PageHeading>
      {!signedIn && (
        <section aria-labelledby="senza-autenticazione" className="mb-4">
          <h2 id="senza-autenticazione" className="h5">Gentile utente,</h2>
          <p className="small">
            la prenotazione senza autenticazione, seppure possibile, non ti garantisce la massima flessibilità nella gestione
            della prenotazione stessa. Per la prenotazione senza autenticazione è comunque necessario inserire il codice
            fiscale. Puoi anche <Link to="/accesso">accedere con autenticazione</Link>.
          </p>
          <Field
            id="cf-cittadino"
            label="Codice fiscale (obbligatorio)"
            className="mono-input"
            value={cf}
            maxLength={16}
            autoComplete="off"
            autoCapitalize="characters"
            spellCheck={false}
            onChange={(e) => setCf(e.target.value)}
          />
        </section>
      )}
      <ErrorAlert error={calendar.error} />
      {calendar.data && shown && (
        <section aria-labelledby="mese">
          <div className="d-flex align-items-center justify-content-between mb-2 gap-2">
            <button type="button" className="btn btn-outline-primary touch" onClick={() => { setMonth(shiftMonth(shown, -1)); setDay(null); }}>
              <span aria-hidden="true">‹</span> <span className="visually-hidden">Mese precedente</span>
            </button>
            <h2 id="mese" className="h5 mb-0 text-capitalize">{monthName(shown)}</h2>
            <button type="button" className="btn btn-outline-primary touch" onClick={() => { setMonth(shiftMonth(shown, 1)); setDay(null); }}>
              <span className="visually-hidden">Mese successivo</span> <span aria-hidden="true">›</span>
            </button>
          </div>
          <table className="calendario">
            <caption className="visually-hidden">Giorni di {monthName(shown)}: in verde i giorni disponibili per la prenotazione</caption>
            <thead>
              <tr>{WEEKDAYS.map((w, i) => <th key={w} scope="col" abbr={WEEKDAY_NAMES[i]}>{w}</th>)}</tr>
            </thead>
            <tbody>
              {weeks(calendar.data.days).map((week, i) => (
                <tr key={i}>
                  {week.map((cell, j) =>
                    cell ? (
                      <td key={cell.date}>
                        <button
                          type="button"
                          className={`giorno ${cell.item.availability === 'available' ? 'disponibile' : 'non-disponibile'} ${cell.item.notices.length ? 'con-avviso' : ''} ${day === cell.date ? 'scelto' : ''}`}
                          aria-pressed={day === cell.date}
                          aria-label={`${formatLongDate(`${cell.date}T12:00:00Z`)}: ${cell.item.availability === 'available' ? `disponibile, ${cell.item.free_slots} orari liberi` : 'non disponibile'}${cell.item.notices.length ? ', avviso della sede' : ''}`}
                          disabled={cell.item.availability !== 'available' && cell.item.notices.length === 0}
                          onClick={() => { setDay(cell.date); setError(null); }}
                        >
                          {cell.day}
                        </button>
                      </td>
                    ) : (
                      <td key={`blank-${j}`} />
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          <p className="small mt-2">
            <span className="legenda disponibile" aria-hidden="true" /> Giorni disponibili per la prenotazione{' '}
            <span className="legenda non-disponibile" aria-hidden="true" /> Giorni non disponibili per la prenotazione{' '}
            <span className="legenda con-avviso" aria-hidden="true" /> Avviso della sede
          </p>
        </section>
      )}
      {day && (
        <section aria-labelledby="orari" className="mt-3">
          <h2 id="orari" className="h5">Seleziona un orario per {formatIsoDay(day)}</h2>
          {chosenDay?.notices.map((n) => (
            <div key={n.notice_id} className="alert alert-info" role="note">
              <strong>Avviso della sede:</strong> {n.text}
            </div>
          ))}
          {chosenDay?.closed_reason && <p>{chosenDay.closed_reason}</p>}
          <ErrorAlert error={error ?? slots.error} focus />
          {slots.data && slots.data.slots.length === 0 && <p>Nessun orario disponibile in questo giorno.</p>}
          <ul className="list-unstyled orari">
            {slots.data?.slots.filter((s) => !lost.includes(s.start)).map((s) => (
              <li key={s.start}>
                <button type="button" className="btn btn-outline-primary btn-lg touch" disabled={busy} onClick={() => void hold(s.start)}>
                  {s.time}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      {!day && <ErrorAlert error={error} focus />}
      <p className="mt-3">
        <Link to={`/prenota/sede/${sede}`}>Torna agli sportelli</Link>
      </p>
    </Shell>
  );
}
