import { useLocation, useNavigate } from 'react-router';
import { useAuth, useMe } from '../auth/AuthContext';
import { PageHeading } from '../components/PageHeading';

/** "Informativa sul servizio" (manual §2, fig. 4): Continua to the home page, Indietro to go back. */
export function Informativa() {
  const me = useMe();
  const { signOut } = useAuth();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const where = [me.patronato?.name, me.office?.name, me.region?.name].filter(Boolean).join(' – ');
  return (
    <>
      <PageHeading title="Informativa sul servizio">Informativa sul servizio</PageHeading>
      <p className="lead">Scrivi alla sede</p>
      <p>
        Il servizio consente agli operatori dei patronati di inviare richieste scritte alle sedi INPS per conto
        dei cittadini che hanno conferito delega, di ricevere le risposte della sede, di inviare fino a due
        ulteriori comunicazioni dopo la risposta, di sollecitare le richieste senza risposta da almeno 15 giorni
        e, nei casi previsti, di prenotare un appuntamento presso la sede.
      </p>
      <p>
        Accedi come <strong>{me.display_name ?? me.id}</strong> ({me.role_label}
        {where ? `, ${where}` : ''}).
      </p>
      <div className="d-flex gap-3 flex-wrap">
        <button type="button" className="btn btn-outline-primary" onClick={() => { signOut(); navigate('/accesso'); }}>
          Indietro
        </button>
        <button type="button" className="btn btn-primary" onClick={() => navigate(from && from !== '/informativa' ? from : '/')}>
          Continua
        </button>
      </div>
    </>
  );
}
