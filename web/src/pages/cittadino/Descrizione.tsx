import { Link } from 'react-router';
import { PageHeading } from '../../components/PageHeading';
import { Shell, useCitizen } from './Shell';

/** "Descrizione del servizio" (seed 002): the first screen of Sportelli di Sede. */
export function Descrizione() {
  const { signedIn } = useCitizen();
  return (
    <Shell>
      <PageHeading title="Descrizione del servizio">Descrizione del servizio</PageHeading>
      <p>
        Il servizio consente di visualizzare informazioni sugli sportelli di sede aperti al pubblico. Le informazioni
        riguardano: orari di apertura, tempi medi di servizio, numero di persone in coda, stato di avanzamento della coda.
      </p>
      <p>Il servizio consente inoltre di prenotare un accesso presso gli sportelli di sede.</p>
      {!signedIn && (
        <p className="small">
          Puoi prenotare senza autenticazione indicando il tuo codice fiscale, oppure{' '}
          <Link to="/accesso">accedere con SPID, CIE o PIN</Link> per gestire con flessibilità le tue prenotazioni e
          scegliere il web meeting dove la sede lo offre.
        </p>
      )}
      <div className="d-grid gap-2 cittadino-actions">
        <Link className="btn btn-primary btn-lg" to="/prenota/sede">
          Avanti
        </Link>
        <Link className="btn btn-outline-primary btn-lg" to="/prenota/prenotazioni">
          Le mie prenotazioni
        </Link>
      </div>
    </Shell>
  );
}
