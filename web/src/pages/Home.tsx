import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { toApiError, type ApiError } from '../api/problem';
import { useMe } from '../auth/AuthContext';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { Icon } from '../components/Icon';
import { Mono } from '../components/Mono';
import { PageHeading } from '../components/PageHeading';
import { formatDateTime } from '../format';
import { useAsync } from '../useAsync';

type RecentReplies = components['schemas']['RecentRepliesView'];
type ReplyRow = components['schemas']['ReplyItem'];

interface Filters {
  replied_on: string;
  subject: string;
  codice_fiscale: string;
  protocol: string;
}
const EMPTY: Filters = { replied_on: '', subject: '', codice_fiscale: '', protocol: '' };

function query(f: Filters, cursor?: string) {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v.trim()) q[k] = v.trim();
  if (cursor) q.cursor = cursor;
  return q;
}

/** Home page (manual §3.1): Crea nuova richiesta and "Risposte ricevute negli ultimi 3 giorni: N". */
export function Home() {
  const me = useMe();
  const referent = me.role === 'regional_referent';
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [more, setMore] = useState<ReplyRow[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);

  const replies = useAsync<RecentReplies>(async () => {
    const r = await unwrap(api.GET('/api/v1/home/recent-replies', { params: { query: query(filters) } }));
    setMore([]);
    setCursor(r.next_cursor ?? null);
    return r;
  }, JSON.stringify(filters));

  function search(e: FormEvent) {
    e.preventDefault();
    setFilters({ ...draft, codice_fiscale: referent ? '' : draft.codice_fiscale });
  }

  async function loadMore() {
    if (!cursor) return;
    try {
      const r = await unwrap(api.GET('/api/v1/home/recent-replies', { params: { query: query(filters, cursor) } }));
      setMore((m) => [...m, ...r.items]);
      setCursor(r.next_cursor ?? null);
      setMoreError(null);
    } catch (e) {
      setMoreError(toApiError(e));
    }
  }

  const items = [...(replies.data?.items ?? []), ...more];
  const count = replies.data?.count;
  const filtered = Object.values(filters).some((v) => v.trim());

  return (
    <>
      <PageHeading title="Home page">Home page</PageHeading>
      <p>
        Benvenuto, {me.display_name ?? me.id}. {referent ? 'Puoi inviare richieste all’Istituto per tuo conto.' : 'Puoi inviare richieste alle sedi INPS per conto dei cittadini.'}
      </p>
      <Link to="/nuova-richiesta" className="btn btn-primary mb-4">
        <Icon name="it-plus-circle" color="white" className="me-2" />
        Crea nuova richiesta
      </Link>

      <section className="recent-panel p-3 p-md-4" aria-labelledby="recent-title">
        <h2 id="recent-title" className="h3">
          Risposte ricevute negli ultimi 3 giorni: <span>{count ?? '…'}</span>
        </h2>
        <form className="row g-3 align-items-end mt-1" onSubmit={search} role="search" aria-label="Ricerca tra le risposte">
          <Field className="col-12 col-md-6 col-lg-3" label="Data" type="date" value={draft.replied_on}
            onChange={(e) => setDraft({ ...draft, replied_on: e.target.value })} />
          <Field className="col-12 col-md-6 col-lg-3" label="Oggetto" value={draft.subject}
            onChange={(e) => setDraft({ ...draft, subject: e.target.value })} />
          {!referent && (
            <Field className="col-12 col-md-6 col-lg-3" label="Codice fiscale" value={draft.codice_fiscale} autoComplete="off"
              spellCheck={false} onChange={(e) => setDraft({ ...draft, codice_fiscale: e.target.value.toUpperCase() })} />
          )}
          <Field className="col-12 col-md-6 col-lg-3" label="Numero di protocollo" value={draft.protocol} autoComplete="off"
            spellCheck={false} onChange={(e) => setDraft({ ...draft, protocol: e.target.value })} />
          <div className="col-12 d-flex gap-2 flex-wrap">
            <button type="submit" className="btn btn-primary">Cerca</button>
            <button type="button" className="btn btn-outline-primary" onClick={() => { setDraft(EMPTY); setFilters(EMPTY); }}>
              Azzera i filtri
            </button>
          </div>
        </form>

        <div aria-live="polite" className="mt-3">
          {replies.loading && <p className="text-muted">Caricamento…</p>}
          {!replies.loading && replies.data && (
            <p className="mb-2">
              {count === 0
                ? filtered ? 'Nessuna risposta corrisponde ai criteri di ricerca.' : 'Nessuna risposta ricevuta negli ultimi 3 giorni.'
                : `${count} ${count === 1 ? 'risposta trovata' : 'risposte trovate'}.`}
            </p>
          )}
        </div>
        <ErrorAlert error={replies.error} />
        {items.length > 0 && (
          <ul className="list-unstyled mb-0">
            {items.map((r) => (
              <li key={`${r.request_id}-${r.version}`} className="border-top py-3">
                <div className="d-flex flex-wrap justify-content-between gap-2">
                  <h3 className="h6 mb-1">
                    <Link to={`/storico/${r.request_id}`}>{r.subject}</Link>
                  </h3>
                  <span className="text-muted small">Risposta del {formatDateTime(r.replied_at)}</span>
                </div>
                <p className="small mb-1">
                  Protocollo <Mono>{r.protocol}</Mono>
                  {r.codice_fiscale && (
                    <> · Codice fiscale <Mono>{r.codice_fiscale}</Mono></>
                  )}
                  {' '}· Sede {r.sede_name}
                </p>
                <p className="excerpt mb-0">{r.excerpt}</p>
              </li>
            ))}
          </ul>
        )}
        <ErrorAlert error={moreError} />
        {cursor && (
          <button type="button" className="btn btn-outline-primary mt-2" onClick={loadMore}>
            Carica altri
          </button>
        )}
      </section>
    </>
  );
}
