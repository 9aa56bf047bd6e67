// What the citizens' app keeps on this device (issue 25, decision C5): the bookings made without
// signing in (id and code only: the code is the proof, the codice fiscale is not kept), the
// preferred sede, and the hold being confirmed (this tab only).

const BOOKINGS_KEY = 'combipat.cittadino.prenotazioni';
const SEDE_KEY = 'combipat.cittadino.sede';
const HOLD_KEY = 'combipat.cittadino.hold';

export interface DeviceBooking {
  id: string;
  code: string;
}

function read<T>(storage: Storage, key: string): T | null {
  try {
    const raw = storage.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function deviceBookings(): DeviceBooking[] {
  const list = read<DeviceBooking[]>(localStorage, BOOKINGS_KEY);
  return Array.isArray(list) ? list.filter((b) => typeof b?.id === 'string' && typeof b?.code === 'string') : [];
}

export function rememberBooking(b: DeviceBooking): void {
  const list = deviceBookings().filter((x) => x.id !== b.id);
  localStorage.setItem(BOOKINGS_KEY, JSON.stringify([...list, b]));
}

export function forgetBooking(id: string): void {
  localStorage.setItem(BOOKINGS_KEY, JSON.stringify(deviceBookings().filter((x) => x.id !== id)));
}

export function codeOnDevice(id: string): string | null {
  return deviceBookings().find((b) => b.id === id)?.code ?? null;
}

export interface PreferredSede {
  code: string;
  name: string;
}

export function preferredSede(): PreferredSede | null {
  return read<PreferredSede>(localStorage, SEDE_KEY);
}

export function savePreferredSede(s: PreferredSede): void {
  localStorage.setItem(SEDE_KEY, JSON.stringify(s));
}

/** A hold being confirmed: the deadline is counted on this device from when the API answered. */
export interface PendingHold {
  holdId: string;
  sede: string;
  counter: string;
  start: string;
  date: string;
  time: string;
  codiceFiscale: string | null;
  /** Date.now() + 5 minutes when the hold was accepted (not the server's clock: it may differ). */
  deadline: number;
}

/** When a hold accepted now runs out, on this device's clock. */
export function holdDeadline(): number {
  return Date.now() + 5 * 60 * 1000;
}

export function pendingHold(): PendingHold | null {
  return read<PendingHold>(sessionStorage, HOLD_KEY);
}

export function savePendingHold(h: PendingHold): void {
  sessionStorage.setItem(HOLD_KEY, JSON.stringify(h));
}

export function clearPendingHold(): void {
  sessionStorage.removeItem(HOLD_KEY);
}

/** "CLOFBA******501Y", as the app shows a codice fiscale. */
export function maskCodiceFiscale(cf: string): string {
  return cf.length === 16 ? `${cf.slice(0, 6)}******${cf.slice(12)}` : cf;
}
