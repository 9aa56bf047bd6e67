import type { ReactNode } from 'react';
import { Link } from 'react-router';
import { formatDate } from '../../format';
import { Icon } from '../Icon';
import { LastReply } from '../LastReply';
import { Mono } from '../Mono';
import { StatusBadge } from '../StatusBadge';

/** What a list of requests shows of a row (the patronato's history and the sede's inbox). */
export interface RequestTableRow {
  request_id: string;
  sent_at: string;
  protocol: string;
  subject: string;
  codice_fiscale?: string | null;
  status: string;
  status_label: string;
  last_reply_excerpt?: string | null;
  replies: number;
}

interface Props<Row extends RequestTableRow> {
  rows: Row[];
  /** For screen readers: what the table lists. */
  caption: string;
  /** Where a row's "Dettaglio" leads. */
  detailPath: (r: Row) => string;
  /** A "Sede" column after the codice fiscale, when the list has one. */
  sede?: (r: Row) => ReactNode;
  /** Shown under the subject, before the last reply. */
  underSubject?: (r: Row) => ReactNode;
  /** Shown under the status badge. */
  underStatus?: (r: Row) => ReactNode;
}

/** The requests of a list, newest first, each with a link to its detail; nothing when there are none. */
export function RequestTable<Row extends RequestTableRow>({ rows, caption, detailPath, sede, underSubject, underStatus }: Props<Row>) {
  if (rows.length === 0) return null;
  return (
    // Scrolls sideways on a phone: focusable so that the keyboard can scroll it too.
    <div className="table-responsive" tabIndex={0} role="region" aria-label="Elenco delle richieste">
      <table className="table table-requests">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Data richiesta</th>
            <th scope="col">Protocollo</th>
            <th scope="col">Oggetto</th>
            <th scope="col">Codice fiscale</th>
            {sede && <th scope="col">Sede</th>}
            <th scope="col">Stato</th>
            <th scope="col"><span className="visually-hidden">Dettaglio</span></th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.request_id}>
              <td>{formatDate(r.sent_at)}</td>
              <td><Mono>{r.protocol}</Mono></td>
              <td>
                {r.subject}
                {underSubject?.(r)}
                <LastReply excerpt={r.last_reply_excerpt} replies={r.replies} />
              </td>
              <td>{r.codice_fiscale ? <Mono>{r.codice_fiscale}</Mono> : <span className="text-muted">Per conto proprio</span>}</td>
              {sede && <td>{sede(r)}</td>}
              <td>
                <StatusBadge status={r.status} label={r.status_label} />
                {underStatus?.(r)}
              </td>
              <td>
                <Link to={detailPath(r)} className="btn btn-sm btn-outline-primary" aria-label={`Dettaglio della richiesta ${r.protocol}`}>
                  <Icon name="it-arrow-right" />
                </Link>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
