// The navbar's entries for each kind of user.

const PATRONATO_NAV = [
  { to: '/', label: 'Home page', end: true },
  { to: '/nuova-richiesta', label: 'Nuova richiesta', end: false },
  { to: '/storico', label: 'Storico richieste', end: false },
  { to: '/statistiche', label: 'Statistiche', end: false },
];

/** A sede officer's screens (issue 25): the inbox is their home. */
const SEDE_NAV = [
  { to: '/sede/richieste', label: 'Richieste in arrivo', end: false },
  { to: '/sede/agenda', label: 'Agenda', end: true },
  { to: '/sede/chiusure', label: 'Chiusure e avvisi', end: true },
  { to: '/sede/coda', label: 'Coda', end: true },
];

/** The navbar of the signed-in user's role. */
export function navFor(role: string | undefined) {
  return role === 'sede_officer' ? SEDE_NAV : PATRONATO_NAV;
}
