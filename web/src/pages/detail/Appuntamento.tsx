import { useRef, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatIsoDay, formatLongDate, romeToday } from '../../format';
import { useAsync } from '../../useAsync';

type Slot = components['schemas']['SlotView'];
type Booking = components['schemas']['BookingAccepted'];
const COUNTER = 'servizi_patronati';

function addMonths(month: string, n: number): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const d = new Date(Date.UTC(y, m - 1 + n, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

const MONTH = new Intl.DateTimeFormat('it-IT', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const WEEKDAYS = ['lun', 'mar', 'mer', 'gio', 'ven', 'sab', 'dom'];

interface Props {
  requestId: string;
  sede: string;
  sedeName: string;
  onBooked: (b: Booking) => void;
  onClose: () => void;
}

/**
 * "Prenota appuntamento": the calendar and free slots of the "Servizi per i patronati" counter of
 * the sede that has the request now; the slot is booked after a confirmation.
 */
export function Appuntamento({ requestId, sede, sedeName, onBooked, onClose }: Props) {
  const [month, setMonth] = useState(() => romeToday().slice(0, 7));
  const [day, setDay] = useState<string | null>(null);
  const [slot, setSlot] = useState<Slot | null>(null);
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());

  const calendar = useAsync(
    () => unwrap(api.GET('/api/v1/sedi/{sede}/counters/{counter}/calendar', {
      params: { path: { sede, counter: COUNTER }, query: { month } },
    })),
    `${sede}/${month}`,
  );
  const slots = useAsync(
    () => (day
      ? unwrap(api.GET('/api/v1/sedi/{sede}/counters/{counter}/slots', {
          params: { path: { sede, counter: COUNTER }, query: { date: day } },
        }))
      : Promise.resolve(null)),
    `${sede}/${day}`,
  );

  async function book() {
    if (!slot) return;
    setConfirm(false);
    setBusy(true);
    setError(null);
    const body = { start: slot.start };
    try {
      const b = await unwrap(api.POST('/api/v1/requests/{id}/appointment', {
        params: { path: { id: requestId }, header: { 'Idempotency-Key': keys.current.keyFor(body) } },
        body,
      }));
      keys.current.done();
      onBooked(b);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  const days = calendar.data?.days ?? [];
  const first = days[0] ? (new Date(`${days[0].date}T12:00:00Z`).getUTCDay() + 6) % 7 : 0;
  const [y, m] = month.split('-').map(Number) as [number, number];
  const freeSlots: Slot[] = slots.data?.slots ?? [];

  return (
    <section aria-labelledby="prenota-title" className="border rounded p-3 mb-4">
      <h2 id="prenota-title" className="h4">Prenota appuntamento</h2>
      <p>
        Sportello “Servizi per i patronati” della sede {sedeName}
        {calendar.data && <> – prenotabile fino al {formatIsoDay(calendar.data.bookable_until)}</>}.
      </p>
      <ErrorAlert error={calendar.error} />
      <div className="d-flex align-items-center gap-2 mb-2">
        <button type="button" className="btn btn-sm btn-outline-primary" onClick={() => { setMonth(addMonths(month, -1)); setDay(null); }}
          disabled={month <= romeToday().slice(0, 7)}>
          Mese precedente
        </button>
        <h3 className="h5 mb-0 flex-grow-1 text-center" aria-live="polite">{MONTH.format(new Date(Date.UTC(y, m - 1, 1)))}</h3>
        <button type="button" className="btn btn-sm btn-outline-primary" onClick={() => { setMonth(addMonths(month, 1)); setDay(null); }}>
          Mese successivo
        </button>
      </div>
      <div className="calendar-grid mb-3" role="group" aria-label="Giorni del mese">
        {WEEKDAYS.map((w) => <div key={w} className="text-center small fw-semibold" aria-hidden="true">{w}</div>)}
        {Array.from({ length: first }, (_, i) => <div key={`pad-${i}`} aria-hidden="true" />)}
        {days.map((d) => {
          const available = d.availability === 'available' && d.free_slots > 0;
          const dayNum = Number(d.date.slice(8));
          return (
            <button key={d.date} type="button" disabled={!available}
              className={`btn btn-sm ${day === d.date ? 'btn-primary' : available ? 'btn-outline-success' : 'btn-outline-secondary'}`}
              aria-pressed={day === d.date}
              aria-label={`${formatLongDate(`${d.date}T12:00:00Z`)}: ${available ? `${d.free_slots} posti liberi` : d.closed_reason ?? 'non disponibile'}`}
              onClick={() => { setDay(d.date); setSlot(null); }}>
              {dayNum}
            </button>
          );
        })}
      </div>
      {day && (
        <div aria-live="polite">
          <h3 className="h6">Orari liberi del {formatIsoDay(day)}</h3>
          <ErrorAlert error={slots.error} />
          {slots.loading && <p className="text-muted">Caricamento…</p>}
          {!slots.loading && freeSlots.length === 0 && <p>{slots.data?.closed_reason ?? 'Nessun orario libero in questo giorno.'}</p>}
          <div className="slot-grid mb-3" role="group" aria-label={`Orari liberi del ${formatIsoDay(day)}`}>
            {freeSlots.map((s) => (
              <button key={s.start} type="button" aria-pressed={slot?.start === s.start}
                className={`btn btn-sm ${slot?.start === s.start ? 'btn-primary' : 'btn-outline-primary'}`}
                onClick={() => setSlot(s)}>
                {s.time}
              </button>
            ))}
          </div>
        </div>
      )}
      <ErrorAlert error={error} focus />
      <div className="d-flex gap-2 flex-wrap">
        <button type="button" className="btn btn-primary" disabled={!slot || busy} onClick={() => setConfirm(true)}>
          Conferma appuntamento
        </button>
        <button type="button" className="btn btn-outline-primary" onClick={onClose}>Annulla</button>
      </div>
      <ConfirmDialog open={confirm} title="Conferma appuntamento" confirmLabel="Prenota"
        onConfirm={book} onCancel={() => setConfirm(false)}>
        {slot && <p>Prenotare l’appuntamento presso la sede {sedeName} per {formatLongDate(slot.start)} alle {slot.time}?</p>}
      </ConfirmDialog>
    </section>
  );
}
