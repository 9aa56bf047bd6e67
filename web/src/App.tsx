import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router';
import { AuthProvider, useAuth } from './auth/AuthContext';
import { ErrorAlert } from './components/ErrorAlert';
import { Layout } from './components/Layout';
import { Accesso } from './pages/Accesso';
import { AccessoCallback } from './pages/AccessoCallback';
import { SceltaProfilo } from './pages/SceltaProfilo';
import { Informativa } from './pages/Informativa';
import { Home } from './pages/Home';
import { Dichiarazione } from './pages/Dichiarazione';
import { NotFound } from './pages/NotFound';
import { homeFor } from './components/nav';

// Screens past the home page load on demand: the first screen carries only what it shows.
const Storico = lazy(() => import('./pages/Storico').then((m) => ({ default: m.Storico })));
const Dettaglio = lazy(() => import('./pages/Dettaglio').then((m) => ({ default: m.Dettaglio })));
const Statistiche = lazy(() => import('./pages/Statistiche').then((m) => ({ default: m.Statistiche })));
const Inbox = lazy(() => import('./pages/sede/Inbox').then((m) => ({ default: m.Inbox })));
const DettaglioSede = lazy(() => import('./pages/sede/DettaglioSede').then((m) => ({ default: m.DettaglioSede })));
const Agenda = lazy(() => import('./pages/sede/Agenda').then((m) => ({ default: m.Agenda })));
const Chiusure = lazy(() => import('./pages/sede/Chiusure').then((m) => ({ default: m.Chiusure })));
const Coda = lazy(() => import('./pages/sede/Coda').then((m) => ({ default: m.Coda })));
const Registro = lazy(() => import('./pages/audit/Registro').then((m) => ({ default: m.Registro })));
const Flusso = lazy(() => import('./pages/audit/Flusso').then((m) => ({ default: m.Flusso })));
const Accessi = lazy(() => import('./pages/audit/Accessi').then((m) => ({ default: m.Accessi })));
const CopiaDati = lazy(() => import('./pages/audit/Copia').then((m) => ({ default: m.CopiaDati })));
const StatoAl = lazy(() => import('./pages/audit/StatoAl').then((m) => ({ default: m.StatoAl })));
const Cruscotto = lazy(() => import('./pages/stats/Cruscotto').then((m) => ({ default: m.Cruscotto })));
const VisteSql = lazy(() => import('./pages/stats/VisteSql').then((m) => ({ default: m.VisteSql })));
const Notifiche = lazy(() => import('./pages/notifiche/Notifiche').then((m) => ({ default: m.Notifiche })));
const Descrizione = lazy(() => import('./pages/cittadino/Descrizione').then((m) => ({ default: m.Descrizione })));
const RicercaSede = lazy(() => import('./pages/cittadino/RicercaSede').then((m) => ({ default: m.RicercaSede })));
const Sportelli = lazy(() => import('./pages/cittadino/Sportelli').then((m) => ({ default: m.Sportelli })));
const Calendario = lazy(() => import('./pages/cittadino/Calendario').then((m) => ({ default: m.Calendario })));
const Riepilogo = lazy(() => import('./pages/cittadino/Riepilogo').then((m) => ({ default: m.Riepilogo })));
const DettaglioPrenotazione = lazy(() => import('./pages/cittadino/DettaglioPrenotazione').then((m) => ({ default: m.DettaglioPrenotazione })));
const LeMiePrenotazioni = lazy(() => import('./pages/cittadino/LeMiePrenotazioni').then((m) => ({ default: m.LeMiePrenotazioni })));
const NuovaRichiesta = lazy(() => import('./pages/nuova-richiesta/NuovaRichiesta').then((m) => ({ default: m.NuovaRichiesta })));

function Loading() {
  return (
    <p role="status" className="text-muted">
      Caricamento…
    </p>
  );
}

/** Pages of a signed-in user; others go to Accesso and come back after signing in. */
function RequireAuth({ children }: { children: ReactNode }) {
  const { me, meError } = useAuth();
  const location = useLocation();
  if (me === null) return <Navigate to="/accesso" replace state={{ from: location.pathname + location.search }} />;
  if (me === undefined) {
    return <Layout nav={false}>{meError ? <ErrorAlert error={meError} /> : <Loading />}</Layout>;
  }
  return (
    <Layout>
      <Suspense fallback={<Loading />}>{children}</Suspense>
    </Layout>
  );
}

/** A page open to everyone (the citizens' app): waits for the session check, never redirects. */
function Public({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  if (me === undefined) return <Loading />;
  return <Suspense fallback={<Loading />}>{children}</Suspense>;
}

/** The home of the signed-in user's role: a sede officer lands on "Richieste in arrivo", an auditor on the log. */
function RoleHome() {
  const { me } = useAuth();
  const home = homeFor(me?.role);
  if (home) return <Navigate to={home} replace />;
  return <Home />;
}

export function App() {
  return (
    <BrowserRouter>
      <AuthProvider>
        <Routes>
          <Route path="/accesso" element={<Accesso />} />
          <Route path="/accesso/callback" element={<AccessoCallback />} />
          <Route path="/dichiarazione-accessibilita" element={<Dichiarazione />} />
          <Route path="/scelta-profilo" element={<RequireAuth><SceltaProfilo /></RequireAuth>} />
          <Route path="/informativa" element={<RequireAuth><Informativa /></RequireAuth>} />
          <Route path="/" element={<RequireAuth><RoleHome /></RequireAuth>} />
          <Route path="/sede/richieste" element={<RequireAuth><Inbox /></RequireAuth>} />
          <Route path="/sede/richieste/:id" element={<RequireAuth><DettaglioSede /></RequireAuth>} />
          <Route path="/sede/agenda" element={<RequireAuth><Agenda /></RequireAuth>} />
          <Route path="/sede/chiusure" element={<RequireAuth><Chiusure /></RequireAuth>} />
          <Route path="/sede/coda" element={<RequireAuth><Coda /></RequireAuth>} />
          <Route path="/audit" element={<RequireAuth><Registro /></RequireAuth>} />
          <Route path="/audit/flussi/:streamId" element={<RequireAuth><Flusso /></RequireAuth>} />
          <Route path="/audit/stato" element={<RequireAuth><StatoAl /></RequireAuth>} />
          <Route path="/audit/accessi" element={<RequireAuth><Accessi /></RequireAuth>} />
          <Route path="/audit/copia" element={<RequireAuth><CopiaDati /></RequireAuth>} />
          <Route path="/nuova-richiesta/*" element={<RequireAuth><NuovaRichiesta /></RequireAuth>} />
          <Route path="/storico" element={<RequireAuth><Storico /></RequireAuth>} />
          <Route path="/storico/:id" element={<RequireAuth><Dettaglio /></RequireAuth>} />
          <Route path="/statistiche" element={<RequireAuth><Statistiche /></RequireAuth>} />
          <Route path="/cruscotto" element={<RequireAuth><Cruscotto /></RequireAuth>} />
          <Route path="/cruscotto/viste-sql" element={<RequireAuth><VisteSql /></RequireAuth>} />
          <Route path="/notifiche" element={<RequireAuth><Notifiche /></RequireAuth>} />
          {/* The citizens' booking app (issue 25): without signing in, or signed in as a citizen. */}
          <Route path="/prenota" element={<Public><Descrizione /></Public>} />
          <Route path="/prenota/sede" element={<Public><RicercaSede /></Public>} />
          <Route path="/prenota/sede/:sede" element={<Public><Sportelli /></Public>} />
          <Route path="/prenota/sede/:sede/:counter" element={<Public><Calendario /></Public>} />
          <Route path="/prenota/riepilogo" element={<Public><Riepilogo /></Public>} />
          <Route path="/prenota/prenotazioni" element={<Public><LeMiePrenotazioni /></Public>} />
          <Route path="/prenota/prenotazioni/:id" element={<Public><DettaglioPrenotazione /></Public>} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </AuthProvider>
    </BrowserRouter>
  );
}
