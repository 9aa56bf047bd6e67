import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { LoadMore, useKeysetList } from '../components/request/KeysetList';
import { RequestTable } from '../components/request/RequestTable';
import { PageHeading } from '../components/PageHeading';
import { STATUSES } from '../components/StatusBadge';

type Page = components['schemas']['PageView_RequestListItem'];
type Row = Page['items'][number];

const CRITERIA = [
  { value: 'date', label: 'Data richiesta' },
  { value: 'subject', label: 'Oggetto' },
  { value: 'protocol', label: 'Numero protocollo' },
  { value: 'codice_fiscale', label: 'Codice fiscale' },
  { value: 'status', label: 'Stato richiesta' },
] as const;
type Criterion = (typeof CRITERIA)[number]['value'];

/** The filters live in the URL: a reload, a shared link and the back button keep them. */
function apiQuery(p: URLSearchParams, cursor?: string) {
  const q: Record<string, string> = { scope: p.get('scope') === 'mine' ? 'mine' : 'office' };
  for (const k of ['sent_from', 'sent_to', 'subject', 'protocol', 'codice_fiscale', 'status']) {
    const v = p.get(k);
    if (v) q[k] = v;
  }
  if (cursor) q.cursor = cursor;
  return q;
}

/** Storico richieste (manual §3.3, fig. 18). */
export function Storico() {
  const [params, setParams] = useSearchParams();
  const scope = params.get('scope') === 'mine' ? 'mine' : 'office';
  const initial = (CRITERIA.find((c) => params.get(c.value === 'date' ? 'sent_from' : c.value))?.value ?? 'subject') as Criterion;
  const [criterion, setCriterion] = useState<Criterion>(initial);
  const [value, setValue] = useState(() => (initial === 'date' ? '' : params.get(initial) ?? ''));
  const [from, setFrom] = useState(params.get('sent_from') ?? '');
  const [to, setTo] = useState(params.get('sent_to') ?? '');
  const list = useKeysetList<Row>(
    (cursor) => unwrap(api.GET('/api/v1/requests', { params: { query: apiQuery(params, cursor) } })),
    params.toString(),
  );
  const { page, rows, cursor } = list;

  function setScope(s: 'office' | 'mine') {
    const p = new URLSearchParams(params);
    p.set('scope', s);
    setParams(p);
  }

  function search(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams();
    p.set('scope', scope);
    if (criterion === 'date') {
      if (from) p.set('sent_from', from);
      if (to) p.set('sent_to', to);
    } else if (value.trim()) {
      p.set(criterion, criterion === 'codice_fiscale' ? value.trim().toUpperCase() : value.trim());
    }
    setParams(p);
  }

  function reset() {
    setValue('');
    setFrom('');
    setTo('');
    setParams(new URLSearchParams({ scope }));
  }

  return (
    <>
      <PageHeading title="Storico richieste">Storico richieste</PageHeading>
      <fieldset className="mb-3">
        <legend className="h6">Richieste da mostrare</legend>
        <div className="d-flex flex-wrap gap-4">
          <div className="form-check">
            <input className="form-check-input" type="radio" name="scope" id="scope-office" checked={scope === 'office'}
              onChange={() => setScope('office')} />
            <label className="form-check-label" htmlFor="scope-office">Tutte le richieste della sede</label>
          </div>
          <div className="form-check">
            <input className="form-check-input" type="radio" name="scope" id="scope-mine" checked={scope === 'mine'}
              onChange={() => setScope('mine')} />
            <label className="form-check-label" htmlFor="scope-mine">Solo le mie richieste</label>
          </div>
        </div>
      </fieldset>

      <form className="row g-3 align-items-end" onSubmit={search} role="search" aria-label="Ricerca nello storico">
        <div className="col-12 col-md-4 select-wrapper">
          <label htmlFor="criterion">Criterio di ricerca</label>
          <select id="criterion" value={criterion}
            onChange={(e) => { setCriterion(e.target.value as Criterion); setValue(''); }}>
            {CRITERIA.map((c) => <option key={c.value} value={c.value}>{c.label}</option>)}
          </select>
        </div>
        {criterion === 'date' && (
          <>
            <Field className="col-6 col-md-4" label="Dal" type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
            <Field className="col-6 col-md-4" label="Al" type="date" value={to} onChange={(e) => setTo(e.target.value)} />
          </>
        )}
        {criterion === 'status' && (
          <div className="col-12 col-md-8 select-wrapper">
            <label htmlFor="status-value">Stato richiesta</label>
            <select id="status-value" value={value} onChange={(e) => setValue(e.target.value)}>
              <option value="">Tutti gli stati</option>
              {STATUSES.map((s) => <option key={s.value} value={s.value}>{s.label}</option>)}
            </select>
          </div>
        )}
        {criterion !== 'date' && criterion !== 'status' && (
          <Field className="col-12 col-md-8" label={CRITERIA.find((c) => c.value === criterion)!.label} value={value}
            autoComplete="off" spellCheck={false} onChange={(e) => setValue(e.target.value)} />
        )}
        <div className="col-12 d-flex gap-2 flex-wrap">
          <button type="submit" className="btn btn-primary">Cerca</button>
          <button type="button" className="btn btn-outline-primary" onClick={reset}>Azzera i filtri</button>
        </div>
      </form>

      <div aria-live="polite" className="mt-4">
        {page.loading && <p className="text-muted">Caricamento…</p>}
        {!page.loading && page.data && (
          <p>{rows.length === 0 ? 'Nessuna richiesta corrisponde ai criteri di ricerca.' : `Richieste mostrate: ${rows.length}${cursor ? ' (altre disponibili)' : ''}.`}</p>
        )}
      </div>
      <ErrorAlert error={page.error} />

      <RequestTable rows={rows} caption="Richieste, dalla più recente" detailPath={(r) => `/storico/${r.request_id}`}
        sede={(r) => r.current_sede_name} />
      <LoadMore list={list} />
    </>
  );
}
