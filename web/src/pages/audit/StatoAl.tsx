import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { PageHeading } from '../../components/PageHeading';
import { formatDateTime } from '../../format';
import { useAsync } from '../../useAsync';
import { compareStates, localToRfc3339 } from './audit';

type State = components['schemas']['RequestStateView'];

/** "Stato al…": a request as it was at an instant or version, side by side with today. */
export function StatoAl() {
  const [params, setParams] = useSearchParams();
  const id = params.get('id') ?? '';
  const asOf = params.get('as_of') ?? '';
  const version = params.get('version') ?? '';
  const [draftId, setDraftId] = useState(id);
  const [draftAt, setDraftAt] = useState('');
  const [draftVersion, setDraftVersion] = useState(version);

  // Today's state is the state read without an instant or a version (E5); the earlier one only when asked.
  const states = useAsync<{ then: State | null; now: State } | null>(async () => {
    if (!id) return null;
    const stateAt = (query: { as_of?: string; version?: number }) =>
      unwrap(api.GET('/api/v1/audit/requests/{id}/state', { params: { path: { id }, query } }));
    const earlier = asOf ? { as_of: asOf } : version ? { version: Number(version) } : null;
    const [then, now] = await Promise.all([earlier ? stateAt(earlier) : Promise.resolve(null), stateAt({})]);
    return { then, now };
  }, params.toString());

  function show(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams({ id: draftId.trim() });
    const at = localToRfc3339(draftAt);
    if (at) p.set('as_of', at);
    else if (draftVersion.trim()) p.set('version', draftVersion.trim());
    setParams(p);
  }

  const data = states.data;
  const then = data?.then ?? null;
  const rows = data ? compareStates((then ?? data.now).state as Record<string, unknown>, data.now.state as Record<string, unknown>) : [];
  const thenLabel = then ? (asOf ? `Al ${formatDateTime(asOf)}` : `Alla versione ${version}`) : '';

  return (
    <>
      <PageHeading title="Stato al…">Stato al…</PageHeading>
      <p>Lo stato di una richiesta com’era in un istante o a una versione, accanto a quello di oggi.</p>
      <form className="row g-3 align-items-end" onSubmit={show} aria-label="Richiesta e momento">
        <Field className="col-12 col-md-6" label="Identificativo della richiesta" required value={draftId} autoComplete="off"
          spellCheck={false} onChange={(e) => setDraftId(e.target.value)} />
        <Field className="col-12 col-md-3" label="Istante" type="datetime-local" step={1} value={draftAt}
          hint="Oppure la versione; senza nessuno dei due, lo stato di oggi." onChange={(e) => setDraftAt(e.target.value)} />
        <Field className="col-12 col-md-3" label="Versione" type="number" min={1} value={draftVersion}
          onChange={(e) => setDraftVersion(e.target.value)} />
        <div className="col-12">
          <button type="submit" className="btn btn-primary" disabled={!draftId.trim()}>Mostra</button>
        </div>
      </form>

      <div aria-live="polite" className="mt-3">{states.loading && <p className="text-muted">Caricamento…</p>}</div>
      <ErrorAlert error={states.error} />
      {!id && <p className="mt-3">Indica l’identificativo di una richiesta: senza istante né versione si vede il suo stato di oggi.</p>}
      {data && (
        <section aria-labelledby="confronto" className="mt-3">
          <h2 id="confronto" className="h4">{then ? 'Confronto' : 'Stato di oggi'}</h2>
          <p>
            {then && <>{thenLabel}: <strong>{then.status_label ?? then.status ?? '–'}</strong>, versione {then.version}
              {' '}(ultimo evento del {formatDateTime(then.last_event_at)}). </>}
            Oggi: <strong>{data.now.status_label ?? data.now.status ?? '–'}</strong>, versione {data.now.version}
            {' '}(ultimo evento del {formatDateTime(data.now.last_event_at)}).{' '}
            {!then && 'Indica un istante o una versione per confrontarlo con uno stato precedente. '}
            <Link to={`/audit/flussi/request-${encodeURIComponent(id)}`}>Storia del flusso</Link>
          </p>
          <div className="table-responsive" tabIndex={0} role="region" aria-label={then ? 'Confronto dei campi' : 'Campi della richiesta'}>
            <table className="table table-sm">
              <caption className="visually-hidden">Campi della richiesta: {then ? `${thenLabel.toLowerCase()} e oggi` : 'oggi'}</caption>
              <thead>
                <tr>
                  <th scope="col">Campo</th>
                  {then && <th scope="col">{thenLabel}</th>}
                  <th scope="col">Oggi</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.field} className={then && r.changed ? 'table-warning' : undefined}>
                    <th scope="row">{r.field}{then && r.changed && <span className="visually-hidden"> (cambiato)</span>}</th>
                    {then && <td className="text-break">{r.then}</td>}
                    <td className="text-break">{r.now}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </>
  );
}
