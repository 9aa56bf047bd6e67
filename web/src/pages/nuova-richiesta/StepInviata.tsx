import { Link } from 'react-router';
import { Mono } from '../../components/Mono';

export interface Sent {
  requestId: string;
  protocol: string;
  sedeName: string | null;
}

interface Props {
  sent: Sent;
  /** Absent for a regional referent (manual §4.3.3: only "Torna alla Home"). */
  onSameCitizen?: () => void;
  onOtherCitizen?: () => void;
}

/** Conferma richiesta (manual §3.2.4, fig. 17). */
export function Inviata({ sent, onSameCitizen, onOtherCitizen }: Props) {
  return (
    <>
      <div className="alert alert-success" role="status">
        La richiesta è stata inviata{sent.sedeName ? ` alla sede ${sent.sedeName}` : ''}.
      </div>
      <p className="lead">
        Numero di protocollo: <strong><Mono>{sent.protocol}</Mono></strong>
      </p>
      <p>
        <Link to={`/storico/${sent.requestId}`}>Apri il dettaglio della richiesta {sent.protocol}</Link>
      </p>
      <div className="d-flex flex-wrap gap-2 mt-4">
        {onSameCitizen && (
          <button type="button" className="btn btn-outline-primary" onClick={onSameCitizen}>
            Nuova richiesta per lo stesso cittadino
          </button>
        )}
        {onOtherCitizen && (
          <button type="button" className="btn btn-outline-primary" onClick={onOtherCitizen}>
            Medesima richiesta per un differente cittadino
          </button>
        )}
        <Link to="/" className="btn btn-primary">Torna alla Home</Link>
      </div>
    </>
  );
}
