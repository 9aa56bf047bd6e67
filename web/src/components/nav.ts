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

/** An auditor's screens (issue 25): the global log is their home. */
const AUDIT_NAV = [
  { to: '/audit', label: 'Registro eventi', end: true },
  { to: '/audit/stato', label: 'Stato al…', end: true },
  { to: '/audit/accessi', label: 'Accessi ai dati personali', end: true },
  { to: '/audit/copia', label: 'Copia dei dati', end: true },
];

/** An analyst's screens (issue 25): the dashboard is their home. */
const ANALYST_NAV = [
  { to: '/cruscotto', label: 'Cruscotto', end: true },
  { to: '/cruscotto/viste-sql', label: 'Viste SQL', end: true },
];

/** A signed-in citizen's screens (issue 25): the booking app. */
const CITIZEN_NAV = [
  { to: '/prenota/sede', label: 'Prenota', end: false },
  { to: '/prenota/prenotazioni', label: 'Le mie prenotazioni', end: false },
];

/** The navbar of the signed-in user's role. */
export function navFor(role: string | undefined) {
  if (role === 'citizen') return CITIZEN_NAV;
  if (role === 'sede_officer') return SEDE_NAV;
  if (role === 'auditor') return AUDIT_NAV;
  if (role === 'analyst') return ANALYST_NAV;
  return PATRONATO_NAV;
}

/** Where a role lands after signing in; null: the patronato's Home page. */
export function homeFor(role: string | undefined): string | null {
  if (role === 'sede_officer') return '/sede/richieste';
  if (role === 'auditor') return '/audit';
  if (role === 'analyst') return '/cruscotto';
  if (role === 'citizen') return '/prenota';
  return null;
}
