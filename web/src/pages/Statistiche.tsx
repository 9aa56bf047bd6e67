import { useState, type FormEvent } from 'react';
import { toApiError, type ApiError } from '../api/problem';
import { api, unwrap } from '../api/client';
import type { components } from '../api/schema';
import { useMe } from '../auth/AuthContext';
import { ErrorAlert } from '../components/ErrorAlert';
import { Field } from '../components/Field';
import { PageHeading } from '../components/PageHeading';
import { formatDateTime, formatHours, romeToday } from '../format';
import { useAsync } from '../useAsync';
import { BarChart } from './stats/Chart';

type Indicators = components['schemas']['Indicators'];

/** Indicators named for what they count (issue 22, docs/analytics.md §1). */
const ROWS: { key: keyof Indicators; label: string; kind: 'n' | 'h' | 'pct' }[] = [
  { key: 'sent', label: 'Richieste inviate nel periodo', kind: 'n' },
  { key: 'replied', label: 'Richieste con almeno una risposta', kind: 'n' },
  { key: 'pending', label: 'Richieste ancora senza risposta', kind: 'n' },
  { key: 'overdue', label: 'Senza risposta da più di 15 giorni', kind: 'n' },
  { key: 'aged_15_days', label: 'Richieste inviate da almeno 15 giorni', kind: 'n' },
  { key: 'aged_replied_within_15_days', label: 'Di queste, con la prima risposta entro 15 giorni', kind: 'n' },
  { key: 'share_replied_within_15_days', label: 'Quota con risposta entro 15 giorni, sulle richieste inviate da almeno 15 giorni', kind: 'pct' },
  { key: 'solleciti', label: 'Solleciti inviati', kind: 'n' },
  { key: 'forwarded', label: 'Inoltri ad altra sede', kind: 'n' },
  { key: 'appointments_enabled', label: 'Richieste per cui la sede ha abilitato la prenotazione', kind: 'n' },
  { key: 'appointments_booked', label: 'Appuntamenti prenotati (non annullati)', kind: 'n' },
  { key: 'closed', label: 'Conversazioni chiuse dalla sede', kind: 'n' },
  { key: 'median_hours_to_first_reply', label: 'Tempo mediano alla prima risposta', kind: 'h' },
  { key: 'mean_hours_to_first_reply', label: 'Tempo medio alla prima risposta', kind: 'h' },
  { key: 'p90_hours_to_first_reply', label: 'Tempo entro cui risponde il 90% (90° percentile)', kind: 'h' },
];

function show(v: unknown, kind: 'n' | 'h' | 'pct'): string {
  if (v == null) return 'n.d.';
  if (kind === 'h') return formatHours(v as number);
  if (kind === 'pct') return `${((v as number) * 100).toLocaleString('it-IT', { maximumFractionDigits: 1 })}%`;
  return (v as number).toLocaleString('it-IT');
}

function firstOfYear(): string {
  return `${romeToday().slice(0, 4)}-01-01`;
}

interface Filters { topic: string; from: string; to: string }

/** Statistiche (manual §3.4): argomento and range temporale; my indicators beside my office's. */
export function Statistiche() {
  const me = useMe();
  const [draft, setDraft] = useState<Filters>(() => ({ topic: '', from: firstOfYear(), to: romeToday() }));
  const [filters, setFilters] = useState<Filters>(draft);
  const topics = useAsync(() => unwrap(api.GET('/api/v1/topics')), 'topics');
  const office = me.office?.code;

  const q = (f: Filters) => ({ ...(f.topic ? { topic: f.topic } : {}), ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) });
  const stats = useAsync(async () => {
    const [mine, off] = await Promise.all([
      unwrap(api.GET('/api/v1/statistics', { params: { query: { ...q(filters), dimension: 'user', value: me.id } } })),
      office
        ? unwrap(api.GET('/api/v1/statistics', { params: { query: { ...q(filters), dimension: 'office', value: office } } }))
        : Promise.resolve(null),
    ]);
    return { mine: mine.rows[0], office: off?.rows[0], asOf: mine.as_of };
  }, JSON.stringify(filters));

  function submit(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
  }

  const [csvError, setCsvError] = useState<ApiError | null>(null);
  // The CSV is fetched with the bearer header and saved from memory (a few kB): the signed link
  // of a path with a query is refused by the export today (web-needs.md).
  async function downloadCsv() {
    setCsvError(null);
    try {
      const blob = await unwrap(api.GET('/api/v1/statistics/export', {
        params: { query: { ...q(filters), dimension: 'office', ...(office ? { value: office } : {}) } },
        parseAs: 'blob',
      }));
      const url = URL.createObjectURL(blob as Blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = `statistiche-${office ?? me.id}-${filters.from || 'inizio'}-${filters.to || 'oggi'}.csv`;
      document.body.appendChild(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (e) {
      setCsvError(toApiError(e));
    }
  }
  const topicList = Array.isArray(topics.data) ? topics.data : [];
  const mine = stats.data?.mine;
  const off = stats.data?.office;
  const officeLabel = me.office ? `Il mio ufficio (${me.office.name})` : 'Il mio ufficio';

  return (
    <>
      <PageHeading title="Statistiche">Statistiche</PageHeading>
      <form className="row g-3 align-items-end mb-4" onSubmit={submit} aria-label="Argomento e periodo">
        <div className="col-12 col-md-6 select-wrapper">
          <label htmlFor="topic">Argomento</label>
          <select id="topic" value={draft.topic} onChange={(e) => setDraft({ ...draft, topic: e.target.value })}>
            <option value="">Tutti gli argomenti</option>
            {topicList.map((t) => <option key={t.code} value={t.code}>{t.label}</option>)}
          </select>
        </div>
        <Field className="col-6 col-md-3" label="Dal" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        <Field className="col-6 col-md-3" label="Al" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        <div className="col-12 d-flex gap-2 flex-wrap">
          <button type="submit" className="btn btn-primary">Visualizza</button>
          <button type="button" className="btn btn-outline-primary" onClick={downloadCsv}>Scarica CSV</button>
        </div>
      </form>
      <ErrorAlert error={csvError} focus />
      <ErrorAlert error={topics.error} />
      <ErrorAlert error={stats.error} />
      <div aria-live="polite">
        {stats.loading && <p className="text-muted">Caricamento…</p>}
        {stats.data && !stats.loading && <p className="small text-muted">Dati aggiornati al {formatDateTime(stats.data.asOf)}.</p>}
      </div>
      {mine && (
        <>
          <h2 className="h4">Tempi di risposta</h2>
          <BarChart
            title="Tempi alla prima risposta: le mie richieste e quelle del mio ufficio"
            tableId="stats-table"
            categories={['Mediano', 'Medio', '90° percentile']}
            series={[
              { label: 'Le mie richieste', className: 'mine', values: [mine.median_hours_to_first_reply, mine.mean_hours_to_first_reply, mine.p90_hours_to_first_reply] },
              ...(off ? [{ label: officeLabel, className: 'office', values: [off.median_hours_to_first_reply, off.mean_hours_to_first_reply, off.p90_hours_to_first_reply] }] : []),
            ]}
          />
          <div className="table-responsive">
            <table className="table" id="stats-table">
              <caption>Indicatori del periodo</caption>
              <thead>
                <tr>
                  <th scope="col">Indicatore</th>
                  <th scope="col" className="text-end">Le mie richieste</th>
                  {off && <th scope="col" className="text-end">{officeLabel}</th>}
                </tr>
              </thead>
              <tbody>
                {ROWS.map((row) => (
                  <tr key={row.key}>
                    <th scope="row" className="fw-normal">{row.label}</th>
                    <td className="text-end">{show(mine[row.key], row.kind)}</td>
                    {off && <td className="text-end">{show(off[row.key], row.kind)}</td>}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </>
  );
}
