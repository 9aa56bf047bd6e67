import { Link } from 'react-router';
import { PageHeading } from '../../components/PageHeading';

/**
 * Placeholder of the wizard (Individuazione cittadino → Conferma utente → Compilazione richiesta →
 * Riepilogo e inoltro → Conferma), built in this folder on the shared pieces: `api/client`
 * (unwrap, IdempotencyKeys), `auth/session` (drafts per user), `components/*`.
 */
export function NuovaRichiesta() {
  return (
    <>
      <PageHeading title="Nuova richiesta">Nuova richiesta</PageHeading>
      <div className="alert alert-info" role="status">
        La compilazione guidata della nuova richiesta sarà disponibile a breve.
      </div>
      <Link to="/">Torna alla Home</Link>
    </>
  );
}
