import { useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { toApiError, type ApiError } from '../../api/problem';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { PageHeading } from '../../components/PageHeading';
import { formatDateTime, formatHours, romeToday } from '../../format';
import { useAsync } from '../../useAsync';
import { BarChart } from './Chart';
import { downloadIndicators, downloadRegions } from './download';
import { SortableTable, sortedBy, type Column } from './SortableTable';
import type { SortState } from './sort';

type Indicators = components['schemas']['Indicators'];
type RegionTotals = components['schemas']['RegionTotals'];
type Grouping = 'region' | 'sede' | 'patronato';

const GROUPINGS: { value: Grouping; label: string; column: string; noun: string }[] = [
  { value: 'region', label: 'Regione (e Direzioni di coordinamento metropolitano)', column: 'Regione / DCM', noun: 'regione' },
  { value: 'sede', label: 'Sede INPS', column: 'Sede', noun: 'sede' },
  { value: 'patronato', label: 'Patronato', column: 'Patronato', noun: 'patronato' },
];

/** The chart shows at most this many rows, in the table's order. */
const CHART_ROWS = 25;

const count = (v: number | null | undefined) => (v == null ? 'n.d.' : v.toLocaleString('it-IT'));
const share = (v: number | null | undefined) =>
  v == null ? 'n.d.' : `${(v * 100).toLocaleString('it-IT', { maximumFractionDigits: 1 })}%`;
const hours = (v: number | null | undefined) => (v == null ? 'n.d.' : formatHours(v));

function firstOfYear(): string {
  return `${romeToday().slice(0, 4)}-01-01`;
}

interface Filters {
  grouping: Grouping;
  topic: string;
  from: string;
  to: string;
}

function indicatorColumns(grouping: Grouping): Column<Indicators>[] {
  const name = GROUPINGS.find((g) => g.value === grouping)!.column;
  return [
    { id: 'name', label: name, value: (r) => r.label ?? r.key, render: (r) => (r.label ? `${r.label} (${r.key})` : r.key) },
    { id: 'sent', label: 'Inviate', value: (r) => r.sent, render: (r) => count(r.sent), numeric: true },
    { id: 'replied', label: 'Con risposta', value: (r) => r.replied, render: (r) => count(r.replied), numeric: true },
    { id: 'pending', label: 'In attesa', value: (r) => r.pending, render: (r) => count(r.pending), numeric: true },
    { id: 'overdue', label: 'Scadute (oltre 15 giorni)', value: (r) => r.overdue, render: (r) => count(r.overdue), numeric: true },
    { id: 'median', label: 'Tempo mediano alla prima risposta', value: (r) => r.median_hours_to_first_reply, render: (r) => hours(r.median_hours_to_first_reply), numeric: true },
    { id: 'p90', label: '90° percentile', value: (r) => r.p90_hours_to_first_reply, render: (r) => hours(r.p90_hours_to_first_reply), numeric: true },
    { id: 'aged', label: 'Inviate da almeno 15 giorni', value: (r) => r.aged_15_days, render: (r) => count(r.aged_15_days), numeric: true },
    { id: 'share', label: 'Quota con risposta entro 15 giorni', value: (r) => r.share_replied_within_15_days, render: (r) => share(r.share_replied_within_15_days), numeric: true },
  ];
}

const REGION_COLUMNS: Column<RegionTotals>[] = [
  { id: 'name', label: 'Regione', value: (r) => r.region_name },
  { id: 'requests', label: 'Totale richieste', value: (r) => r.requests, render: (r) => count(r.requests), numeric: true },
  { id: 'incoming', label: 'In entrata', value: (r) => r.incoming, render: (r) => count(r.incoming), numeric: true },
  { id: 'outgoing', label: 'In uscita', value: (r) => r.outgoing, render: (r) => count(r.outgoing), numeric: true },
];

/** The query of the indicators for the filters (the API's names). */
function indicatorQuery(f: Filters) {
  return { dimension: f.grouping, ...(f.topic ? { topic: f.topic } : {}), ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) };
}

function periodQuery(f: Filters) {
  return { ...(f.from ? { from: f.from } : {}), ...(f.to ? { to: f.to } : {}) };
}

/**
 * Cruscotto (seed 001 §3: "standard qualitativi, monitorabili a livello centrale, in ordine al
 * rispetto dei tempi di risposta … apposito cruscotto"): the analysts' indicators per regione,
 * sede or patronato over a period, and seed 003's "Totale richieste per regione". Offices,
 * patronati, sedi and regions only: an analyst never sees a person (decision S5).
 */
export function Cruscotto() {
  const [draft, setDraft] = useState<Filters>(() => ({ grouping: 'region', topic: '', from: firstOfYear(), to: romeToday() }));
  const [filters, setFilters] = useState<Filters>(draft);
  const [sort, setSort] = useState<SortState>({ column: 'name', direction: 'ascending' });
  const [regionSort, setRegionSort] = useState<SortState>({ column: 'requests', direction: 'descending' });
  const [csvError, setCsvError] = useState<ApiError | null>(null);
  const topics = useAsync(() => unwrap(api.GET('/api/v1/topics')), 'topics');
  const stats = useAsync(
    () => unwrap(api.GET('/api/v1/statistics', { params: { query: indicatorQuery(filters) } })),
    JSON.stringify(filters),
  );
  const regions = useAsync(
    () => unwrap(api.GET('/api/v1/statistics/regions', { params: { query: periodQuery(filters) } })),
    JSON.stringify(periodQuery(filters)),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    setFilters(draft);
    if (draft.grouping !== filters.grouping) setSort({ column: 'name', direction: 'ascending' });
  }

  const period = `${filters.from || 'inizio'}-${filters.to || 'oggi'}`;
  async function csv(what: 'indicators' | 'regions') {
    setCsvError(null);
    try {
      if (what === 'indicators') await downloadIndicators(indicatorQuery(filters), `cruscotto-${filters.grouping}-${period}.csv`);
      else await downloadRegions(periodQuery(filters), `totale-richieste-per-regione-${period}.csv`);
    } catch (e) {
      setCsvError(toApiError(e));
    }
  }

  const topicList = Array.isArray(topics.data) ? topics.data : [];
  const columns = indicatorColumns(filters.grouping);
  const rows = stats.data?.rows ?? [];
  const shown = sortedBy(rows, columns, sort).slice(0, CHART_ROWS);
  const names = shown.map((r) => r.label ?? r.key);
  const groupLabel = GROUPINGS.find((g) => g.value === filters.grouping)!.noun;
  const regionRows = regions.data?.rows ?? [];
  // The chart leaves out the regions with nothing in the period (the table lists them all).
  const regionShown = sortedBy(regionRows, REGION_COLUMNS, regionSort).filter((r) => r.incoming > 0 || r.outgoing > 0);

  return (
    <>
      <PageHeading title="Cruscotto">Cruscotto di monitoraggio</PageHeading>
      <p>
        Tempi di risposta e richieste del canale patronati–sedi, per regione, sede o patronato. Il significato di ogni numero
        e le viste SQL per gli analisti sono descritti in <Link to="/cruscotto/viste-sql">Viste SQL e definizioni degli indicatori</Link>.
      </p>
      <form className="row g-3 align-items-end mb-4" onSubmit={submit} aria-label="Raggruppamento, argomento e periodo">
        <div className="col-12 col-md-6 select-wrapper">
          <label htmlFor="grouping">Raggruppa per</label>
          <select id="grouping" value={draft.grouping} onChange={(e) => setDraft({ ...draft, grouping: e.target.value as Grouping })}>
            {GROUPINGS.map((g) => <option key={g.value} value={g.value}>{g.label}</option>)}
          </select>
        </div>
        <div className="col-12 col-md-6 select-wrapper">
          <label htmlFor="topic">Argomento</label>
          <select id="topic" value={draft.topic} onChange={(e) => setDraft({ ...draft, topic: e.target.value })}>
            <option value="">Tutti gli argomenti</option>
            {topicList.map((t) => <option key={t.code} value={t.code}>{t.label}</option>)}
          </select>
        </div>
        <Field className="col-6 col-md-3" label="Dal" type="date" value={draft.from} onChange={(e) => setDraft({ ...draft, from: e.target.value })} />
        <Field className="col-6 col-md-3" label="Al" type="date" value={draft.to} onChange={(e) => setDraft({ ...draft, to: e.target.value })} />
        <div className="col-12 col-md-6 d-flex gap-2 flex-wrap">
          <button type="submit" className="btn btn-primary">Visualizza</button>
        </div>
      </form>
      <ErrorAlert error={csvError} focus />
      <ErrorAlert error={topics.error} />
      <div aria-live="polite">
        {(stats.loading || regions.loading) && <p className="text-muted">Caricamento…</p>}
        {stats.data && !stats.loading && <p className="small text-muted">Dati aggiornati al {formatDateTime(stats.data.as_of)}.</p>}
      </div>

      <section aria-labelledby="indicatori" className="mb-5">
        <h2 id="indicatori" className="h4">Indicatori per {groupLabel}</h2>
        <p className="small">
          Richieste inviate nel periodo (giorno di invio). La quota entro 15 giorni è calcolata sulle richieste inviate da almeno
          15 giorni: una richiesta ancora senza risposta dopo 15 giorni conta contro, una più recente non è ancora conteggiata.
        </p>
        <ErrorAlert error={stats.error} />
        <button type="button" className="btn btn-outline-primary mb-3" onClick={() => csv('indicators')}>Scarica CSV degli indicatori</button>
        {stats.data && rows.length === 0 && <p>Nessuna richiesta inviata nel periodo.</p>}
        {rows.length > 0 && (
          <>
            <SortableTable
              id="indicatori-table"
              caption={`Indicatori per ${groupLabel} (ordinabili: premere l’intestazione di una colonna)`}
              columns={columns}
              rows={rows}
              rowKey={(r) => r.key}
              sort={sort}
              onSort={setSort}
            />
            <h3 className="h5 mt-4">Grafici</h3>
            <p className="small">{rows.length > CHART_ROWS ? `Le prime ${CHART_ROWS} righe della tabella, nel suo ordine.` : 'Le righe della tabella, nel suo ordine.'}</p>
            <BarChart
              title={`Quota con risposta entro 15 giorni per ${groupLabel}`}
              tableId="indicatori-table"
              categories={names}
              series={[{ label: 'Quota con risposta entro 15 giorni', className: 'share', values: shown.map((r) => r.share_replied_within_15_days) }]}
              format={(v) => share(v)}
              max={1}
            />
            <BarChart
              title={`Tempo alla prima risposta per ${groupLabel}: mediana e 90° percentile`}
              tableId="indicatori-table"
              categories={names}
              series={[
                { label: 'Tempo mediano', className: 'mine', values: shown.map((r) => r.median_hours_to_first_reply) },
                { label: '90° percentile', className: 'office', values: shown.map((r) => r.p90_hours_to_first_reply) },
              ]}
            />
          </>
        )}
      </section>

      <section aria-labelledby="per-regione">
        <h2 id="per-regione" className="h4">Totale richieste per regione</h2>
        <p className="small">
          Eventi del periodo per regione della sede: <em>in entrata</em> le richieste nuove, i messaggi di seguito e i solleciti
          ricevuti dalle sedi; <em>in uscita</em> le risposte delle sedi.
        </p>
        <ErrorAlert error={regions.error} />
        <button type="button" className="btn btn-outline-primary mb-3" onClick={() => csv('regions')}>Scarica CSV del totale per regione</button>
        {regions.data && (
          <>
            <SortableTable
              id="regioni-table"
              caption="Totale richieste per regione, in entrata e in uscita"
              columns={REGION_COLUMNS}
              rows={regionRows}
              rowKey={(r) => r.region_code}
              sort={regionSort}
              onSort={setRegionSort}
              footer={regions.data.total}
            />
            {regionShown.length > 0 && (
              <>
            <p className="small">Il grafico mostra le regioni con richieste in entrata o in uscita nel periodo, nell’ordine della tabella.</p>
            <BarChart
              title="Richieste in entrata e in uscita per regione"
              tableId="regioni-table"
              categories={regionShown.map((r) => r.region_name)}
              series={[
                { label: 'In entrata', className: 'mine', values: regionShown.map((r) => r.incoming) },
                { label: 'In uscita', className: 'office', values: regionShown.map((r) => r.outgoing) },
              ]}
              format={(v) => count(v)}
            />
              </>
            )}
          </>
        )}
      </section>
    </>
  );
}
