import { readFile } from 'node:fs/promises';
import type { Locator } from '@playwright/test';
import { createRequest, expect, expectAccessible, sedeReply, test, tokenFor, OPERATOR } from './fixtures';
import { signInAs } from './sede-fixtures';

const ANALYST = 'ana.demo';

interface RegionTotals { region_code: string; region_name: string; requests: number; incoming: number; outgoing: number }
interface Indicators { key: string; label?: string | null; sent: number; replied: number; pending: number; overdue: number }

const n = (v: number) => v.toLocaleString('it-IT');

/** Each body row of a table as [row header, cells…], as the browser shows them. */
async function tableRows(table: Locator): Promise<string[][]> {
  return table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => Array.from(tr.querySelectorAll('th, td')).map((c) => (c.textContent ?? '').trim())),
  );
}

// The analysts' dashboard (issue 25, "Cruscotto"): the regional table equals what the API
// returns, the tables sort, the CSV downloads, and axe finds nothing at 1280 and 375 px.
test('an analyst reads the regional figures the API returns, sorts them and downloads the CSV', async ({ page, request }) => {
  // Something to count: a request and its reply.
  const opToken = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, opToken, 'Richiesta per il cruscotto degli analisti');
  await sedeReply(request, opToken, created, 'Risposta per il cruscotto');

  const anaToken = await tokenFor(request, ANALYST);
  const auth = { Authorization: `Bearer ${anaToken}` };
  // Read-your-writes: the statistics include the reply before the page reads them.
  const ready = await request.get('/api/v1/statistics/regions?min_position=' + created.position, { headers: auth });
  expect(ready.ok(), await ready.text()).toBeTruthy();

  await signInAs(page, request, ANALYST);
  await expect(page.getByRole('heading', { level: 1, name: 'Cruscotto di monitoraggio' })).toBeVisible();
  const regionsTable = page.getByRole('table', { name: 'Totale richieste per regione, in entrata e in uscita' });
  await expect(regionsTable).toBeVisible();
  const indicatorsTable = page.getByRole('table', { name: /^Indicatori per regione/ });
  await expect(indicatorsTable).toBeVisible();

  // The same period as the page's default: from 1 January of this year (Europe/Rome) to today.
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome' }).format(new Date());
  const period = `from=${today.slice(0, 4)}-01-01&to=${today}`;
  const api = (await (await request.get(`/api/v1/statistics/regions?${period}`, { headers: auth })).json()) as { rows: RegionTotals[]; total: RegionTotals };
  expect(api.rows).toHaveLength(23);
  expect(api.total.requests).toBeGreaterThan(0);
  const shown = await tableRows(regionsTable);
  expect(shown).toHaveLength(23);
  const byName = new Map(shown.map((r) => [r[0], r.slice(1)]));
  for (const r of api.rows) {
    expect(byName.get(r.region_name), r.region_name).toEqual([n(r.requests), n(r.incoming), n(r.outgoing)]);
  }
  for (const dcm of ['DCM Milano', 'DCM Napoli', 'DCM Roma']) expect(byName.has(dcm), dcm).toBeTruthy();
  const italia = await regionsTable.locator('tfoot tr').locator('th, td').allTextContents();
  expect(italia.map((c) => c.trim())).toEqual(['Italia', n(api.total.requests), n(api.total.incoming), n(api.total.outgoing)]);

  // The indicators per region equal the API's, too.
  const stats = (await (await request.get(`/api/v1/statistics?dimension=region&${period}`, { headers: auth })).json()) as { rows: Indicators[] };
  const indicatorRows = await tableRows(indicatorsTable);
  expect(indicatorRows).toHaveLength(stats.rows.length);
  for (const r of stats.rows) {
    const name = r.label ? `${r.label} (${r.key})` : r.key;
    const row = indicatorRows.find((x) => x[0] === name);
    expect(row, name).toBeTruthy();
    expect(row!.slice(1, 5)).toEqual([n(r.sent), n(r.replied), n(r.pending), n(r.overdue)]);
  }
  await expectAccessible(page);

  // Sorting: by "Totale richieste" (largest first, then smallest), then by name.
  const totalHeader = regionsTable.getByRole('columnheader', { name: /Totale richieste/ });
  await expect(totalHeader).toHaveAttribute('aria-sort', 'descending');
  const totals = async () => (await tableRows(regionsTable)).map((r) => Number(r[1]!.replace(/\./g, '')));
  const desc = await totals();
  expect(desc).toEqual([...desc].sort((a, b) => b - a));
  await totalHeader.getByRole('button').click();
  await expect(totalHeader).toHaveAttribute('aria-sort', 'ascending');
  const asc = await totals();
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  const nameHeader = regionsTable.getByRole('columnheader', { name: /^Regione/ });
  await nameHeader.getByRole('button').click();
  await expect(nameHeader).toHaveAttribute('aria-sort', 'ascending');
  await expect(totalHeader).not.toHaveAttribute('aria-sort', /.+/);
  const names = (await tableRows(regionsTable)).map((r) => r[0]!);
  expect(names).toEqual([...names].sort((a, b) => a.localeCompare(b, 'it', { sensitivity: 'base' })));

  // CSV of seed 003's table, with the same national total.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Scarica CSV del totale per regione' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^totale-richieste-per-regione-.*\.csv$/);
  const csv = (await readFile((await download.path())!, 'utf8')).trim().split(/\r?\n/);
  expect(csv[0]).toMatch(/^Regione;Codice;Totale richieste;In entrata;In uscita/);
  expect(csv).toHaveLength(1 + 23 + 1);
  expect(csv[24]).toMatch(new RegExp(`^Italia;IT;${api.total.requests};${api.total.incoming};${api.total.outgoing};`));

  // Grouped by sede: the analyst sees sedi by name, never a person.
  await page.getByLabel('Raggruppa per').selectOption('sede');
  await page.getByRole('button', { name: 'Visualizza' }).click();
  await expect(page.getByRole('table', { name: /^Indicatori per sede/ })).toBeVisible();
  // By patronato, named: the operator's patronato is there, the operator is not.
  await page.getByLabel('Raggruppa per').selectOption('patronato');
  await page.getByRole('button', { name: 'Visualizza' }).click();
  const byPatronato = page.getByRole('table', { name: /^Indicatori per patronato/ });
  await expect(byPatronato.getByRole('rowheader', { name: 'Patronato INCA CGIL (INCA)' })).toBeVisible();
  await expect(page.getByText(OPERATOR.id)).toHaveCount(0);
  await expect(page.getByText(OPERATOR.name)).toHaveCount(0);

  // The phone size.
  await page.setViewportSize({ width: 375, height: 812 });
  await expect(regionsTable).toBeVisible();
  await expectAccessible(page);

  // The documented SQL views.
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.getByRole('link', { name: 'Viste SQL e definizioni degli indicatori' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Viste SQL e definizioni degli indicatori' })).toBeVisible();
  await expect(page.getByText('analytics.richieste_per_regione').first()).toBeVisible();
  await expectAccessible(page);
});
