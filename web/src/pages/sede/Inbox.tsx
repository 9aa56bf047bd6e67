import { useState, type FormEvent } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/AuthContext';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { LoadMore, useKeysetList } from '../../components/request/KeysetList';
import { Icon } from '../../components/Icon';
import { PageHeading } from '../../components/PageHeading';
import { RequestTable } from '../../components/request/RequestTable';
import { STATUSES } from '../../components/StatusBadge';
import { useAsync } from '../../useAsync';
import { BUCKETS, FILTERS, bucketOf, inboxQuery } from './inbox';

type Page = components['schemas']['PageView_InboxListItem'];
type Row = Page['items'][number];
type Counts = components['schemas']['InboxCounts'];

/** Richieste in arrivo: the sede's buckets with their counts, the history's filters, "Carica altri". */
export function Inbox() {
  const me = useMe();
  const sede = me.sede?.code ?? '';
  const location = useLocation();
  // After a forward the detail sends its flash and the command's position: the lists and counts
  // wait for it, so the forwarded request is gone at once.
  const state = location.state as { flash?: string; minPosition?: number } | null;
  const flash = state?.flash ?? null;
  const minPosition = state?.minPosition;
  const readAfter = minPosition ? { min_position: minPosition } : {};
  const [params, setParams] = useSearchParams();
  const bucket = bucketOf(params);
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(FILTERS.map((k) => [k, params.get(k) ?? ''])));
  const list = useKeysetList<Row>(
    (cursor) => unwrap(api.GET('/api/v1/sedi/{sede}/inbox', {
      params: { path: { sede }, query: { ...inboxQuery(params, bucket, cursor), ...(cursor ? {} : readAfter) } },
    })),
    `${sede}?${params.toString()}/${minPosition ?? ''}`,
  );
  const { page, rows, cursor } = list;

  // The sede's count of every bucket, from one cheap query (whatever the list's filters: E1).
  const counts = useAsync<Counts>(() => unwrap(api.GET('/api/v1/sedi/{sede}/inbox/counts', {
    params: { path: { sede }, query: readAfter },
  })), `${sede}/${minPosition ?? ''}`);

  function go(next: URLSearchParams) {
    setParams(next);
  }

  function search(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams({ bucket });
    for (const k of FILTERS) if (draft[k]?.trim()) p.set(k, draft[k]!.trim());
    go(p);
  }

  function reset() {
    setDraft(Object.fromEntries(FILTERS.map((k) => [k, ''])));
    go(new URLSearchParams({ bucket }));
  }

  function bucketLink(b: string) {
    const p = new URLSearchParams(params);
    p.set('bucket', b);
    return `?${p.toString()}`;
  }

  const bucketLabel = BUCKETS.find((b) => b.value === bucket)?.label ?? '';

  return (
    <>
      <PageHeading title="Richieste in arrivo">Richieste in arrivo</PageHeading>
      <p>Sede {me.sede?.name ?? sede}: le richieste dei patronati indirizzate alla sede.</p>
      <div aria-live="polite">{flash && <div className="alert alert-info">{flash}</div>}</div>

      <nav aria-label="Gruppi di richieste" className="mb-3">
        <ul className="nav nav-tabs inbox-buckets flex-wrap">
          {BUCKETS.map((b) => (
            <li className="nav-item" key={b.value}>
              <Link to={bucketLink(b.value)} className={`nav-link ${b.value === bucket ? 'active' : ''}`}
                aria-current={b.value === bucket ? 'page' : undefined}>
                {b.label} <span className="badge bg-secondary ms-1">{counts.data ? String(counts.data[b.value]) : '…'}</span>
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <ErrorAlert error={counts.error} />

      <form className="row g-3 align-items-end" onSubmit={search} role="search" aria-label="Ricerca tra le richieste">
        <Field className="col-12 col-md-6 col-lg-4" label="Numero protocollo" value={draft.protocol} autoComplete="off"
          spellCheck={false} onChange={(e) => setDraft({ ...draft, protocol: e.target.value })} />
        <Field className="col-12 col-md-6 col-lg-4" label="Codice fiscale" value={draft.codice_fiscale} autoComplete="off"
          spellCheck={false} onChange={(e) => setDraft({ ...draft, codice_fiscale: e.target.value.toUpperCase() })} />
        <Field className="col-12 col-md-6 col-lg-4" label="Oggetto" value={draft.subject}
          onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />
        <Field className="col-12 col-md-6 col-lg-4" label="Inviata dal" type="date" value={draft.sent_from}
          onChange={(e) => setDraft({ ...draft, sent_from: e.target.value })} />
        <Field className="col-12 col-md-6 col-lg-4" label="Inviata al" type="date" value={draft.sent_to}
          onChange={(e) => setDraft({ ...draft, sent_to: e.target.value })} />
        <div className="col-12 col-md-6 col-lg-4 select-wrapper">
          <label htmlFor="inbox-status">Stato richiesta</label>
          <select id="inbox-status" value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            <option value="">Tutti gli stati</option>
            {STATUSES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
          </select>
        </div>
        <div className="col-12 d-flex gap-2 flex-wrap">
          <button type="submit" className="btn btn-primary">Cerca</button>
          <button type="button" className="btn btn-outline-primary" onClick={reset}>Azzera i filtri</button>
        </div>
      </form>

      <div aria-live="polite" className="mt-3">
        {page.loading && <p className="text-muted">Caricamento…</p>}
        {!page.loading && page.data && (
          <p>
            {rows.length === 0
              ? `Nessuna richiesta nel gruppo «${bucketLabel}».`
              : `${bucketLabel}: richieste mostrate ${rows.length}${cursor ? ' (altre disponibili)' : ''}.`}
          </p>
        )}
      </div>
      <ErrorAlert error={page.error} />

      <RequestTable rows={rows} caption="Richieste in arrivo, dalla più recente" detailPath={(r) => `/sede/richieste/${r.request_id}`}
        underSubject={(r) => r.forwards > 0 && <div className="excerpt">Inoltrata da {r.origin_sede_name}</div>}
        underStatus={(r) => r.overdue && (
          <div className="overdue-mark small mt-1">
            <Icon name="it-clock" size="xs" color="danger" className="me-1" />
            Oltre 15 giorni
          </div>
        )} />
      <LoadMore list={list} />
    </>
  );
}
