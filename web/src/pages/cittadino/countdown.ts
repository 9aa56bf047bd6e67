// The 5-minute hold's countdown: what the screen shows every second, and the rarer sentence a
// screen reader hears (each minute, then at 30 and 10 seconds), so the live region does not chatter.

/** "4:05" */
export function clock(msLeft: number): string {
  const s = Math.max(0, Math.ceil(msLeft / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The sentence to announce at this many seconds left, or null for a silent second. */
export function announcement(secondsLeft: number): string | null {
  if (secondsLeft <= 0) return 'Tempo scaduto: l’orario non è più riservato.';
  if (secondsLeft === 30 || secondsLeft === 10) return `Restano ${secondsLeft} secondi per confermare la prenotazione.`;
  if (secondsLeft % 60 === 0) {
    const m = secondsLeft / 60;
    return m === 1 ? 'Resta 1 minuto per confermare la prenotazione.' : `Restano ${m} minuti per confermare la prenotazione.`;
  }
  return null;
}
