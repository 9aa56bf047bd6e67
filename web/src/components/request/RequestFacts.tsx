import type { ReactNode } from 'react';
import type { ApiError } from '../../api/problem';
import type { components } from '../../api/schema';
import { formatBytes, formatDate, formatDateTime, formatIsoDay } from '../../format';
import { ErrorAlert } from '../ErrorAlert';
import { LinkButton } from '../LinkButton';
import { Mono } from '../Mono';
import { PageHeading } from '../PageHeading';
import { StatusBadge } from '../StatusBadge';

type Detail = components['schemas']['RequestDetail'];
type Attachment = components['schemas']['AttachmentView'];

const PRACTICE: Record<string, string> = {
  protocollo: 'Protocollo',
  domus: 'Domus',
  pensione: 'Pensione',
  domanda_rdc: 'Domanda RdC',
  domanda_rem: 'Domanda REM',
};

interface HeaderProps {
  detail: Detail;
  /** The page's h1 ("Dettaglio richiesta", "Dettaglio e risposta"). */
  heading: string;
  /** How the side calls the sending: "aperta il", "inviata il". */
  sentLabel: string;
  /** The last command's confirmation, its refusal, and a failed re-read (the page keeps the last data). */
  notice: string | null;
  actionError: ApiError | null;
  readError: ApiError | null;
}

/** The top of a request's page: heading, subject, protocol, status, and what the last command did. */
export function RequestHeader({ detail, heading, sentLabel, notice, actionError, readError }: HeaderProps) {
  const r = detail.request;
  return (
    <>
      <PageHeading title={`Richiesta ${r.protocol}`}>{heading}</PageHeading>
      <p className="lead mb-1">{r.subject}</p>
      <p>
        Protocollo <Mono>{r.protocol}</Mono> · {sentLabel} {formatDateTime(r.sent_at)} · <StatusBadge status={r.status} label={detail.status_label} />
      </p>

      <div aria-live="polite">{notice && <div className="alert alert-success">{notice}</div>}</div>
      <ErrorAlert error={actionError} focus />
      {readError && <ErrorAlert error={readError} />}
    </>
  );
}

/** What the request is about: topic, sub-topic and the practice it refers to (facts of a `dl.row`). */
export function TopicFacts({ request: r }: { request: Detail['request'] }) {
  return (
    <>
      <Fact label="Motivo del contatto">{r.topic_label}</Fact>
      {r.subtopic_label && <Fact label="Sotto-tematica">{r.subtopic_label}</Fact>}
      {r.practice_ref_kind && (
        <Fact label="Riferimento della pratica">
          {PRACTICE[r.practice_ref_kind] ?? r.practice_ref_kind} <Mono>{r.practice_ref_value}</Mono>
        </Fact>
      )}
    </>
  );
}

/** One fact of a request's facts list (a `dl.row`). */
export function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="col-sm-5 col-lg-4">{label}</dt>
      <dd className="col-sm-7 col-lg-8">{children}</dd>
    </>
  );
}

/** "Dati anagrafici": the citizen of the request, or the regional referent's own request. */
export function CitizenFacts({ request: r }: { request: Detail['request'] }) {
  const citizen = [r.citizen_surname, r.citizen_name].filter(Boolean).join(' ');
  return (
    <section className="col-12 col-lg-6 mb-4" aria-labelledby="dati-cittadino">
      <h2 id="dati-cittadino" className="h4">Dati anagrafici</h2>
      {r.requester_kind === 'own_behalf' ? (
        <p>Richiesta per conto proprio del referente regionale.</p>
      ) : (
        <dl className="row">
          <Fact label="Cittadino">{citizen || '–'}</Fact>
          <Fact label="Codice fiscale"><Mono>{r.codice_fiscale}</Mono></Fact>
          {r.citizen_birth_date && <Fact label="Data di nascita">{formatIsoDay(r.citizen_birth_date)}</Fact>}
        </dl>
      )}
    </section>
  );
}

interface AttachmentsProps {
  requestId: string;
  title: string;
  attachments: Attachment[];
  /** What one side may do with an attachment besides downloading it (the patronato removes its own). */
  extra?: (a: Attachment) => ReactNode;
}

/** The attachments held by a request, each downloadable through a signed link. */
export function AttachmentList({ requestId, title, attachments, extra }: AttachmentsProps) {
  const held = attachments.filter((a) => !a.removed_at);
  return (
    <section aria-labelledby="allegati" className="mb-4">
      <h2 id="allegati" className="h4">{title}</h2>
      {held.length === 0 ? <p>Nessun allegato.</p> : (
        <ul className="list-unstyled">
          {held.map((a) => (
            <li key={a.attachment_id} className="d-flex flex-wrap align-items-center gap-2 mb-2">
              <LinkButton className="btn btn-link p-0" path={`/api/v1/requests/${requestId}/attachments/${a.attachment_id}`}
                label={`Scarica ${a.filename}`}>
                {a.filename}
              </LinkButton>
              <span className="text-muted small">
                {formatBytes(a.size)} · {a.side === 'sede' ? 'dalla sede' : 'dal patronato'} il {formatDate(a.added_at)}
              </span>
              {extra?.(a)}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
