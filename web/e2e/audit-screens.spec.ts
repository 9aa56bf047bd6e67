import { readFileSync } from 'node:fs';
import { createRequest, expect, expectAccessible, sedeReply, test, tokenFor, OPERATOR } from './fixtures';
import { signInAs } from './sede-fixtures';

const AUDITOR = 'aud.demo';

/** "YYYY-MM-DDTHH:MM:SS" in Europe/Rome, as a datetime-local field takes it. */
function romeLocal(instant: Date): string {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  }).formatToParts(instant).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}`;
}

// The auditor's screens at 1280 and 375 px (this file runs in both projects): the log verifies
// intact, the auditor's own reads are in it, and "Stato al…" shows what the operator saw then.
test('an auditor verifies the log and opens a request as it was before the reply', async ({ page, request }) => {
  const opToken = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, opToken, 'Richiesta per il controllo dell’auditor');
  const seen = await request.get(`/api/v1/requests/${created.request_id}?min_position=${created.position}`, { headers: { Authorization: `Bearer ${opToken}` } });
  const sawThen = ((await seen.json()) as { status_label: string }).status_label;
  await page.waitForTimeout(1100); // the reply a second later: the instant between them is a whole second
  await sedeReply(request, opToken, created, 'Risposta prima della verifica');

  const audToken = await tokenFor(request, AUDITOR);
  const stream = await request.get(`/api/v1/audit/streams/request-${created.request_id}/events`, { headers: { Authorization: `Bearer ${audToken}` } });
  const events = ((await stream.json()) as { items: { event_type: string; recorded_at: string }[] }).items;
  const reply = events.find((e) => /repl/i.test(e.event_type));
  expect(reply, JSON.stringify(events.map((e) => e.event_type))).toBeTruthy();
  const before = new Date(reply!.recorded_at);
  before.setMilliseconds(0);

  await signInAs(page, request, AUDITOR);
  await expect(page.getByRole('heading', { level: 1, name: 'Registro eventi' })).toBeVisible();
  await page.getByRole('button', { name: 'Verifica integrità del registro' }).click();
  await expect(page.getByText(/^Registro integro: \d+ eventi/)).toBeVisible();
  await expectAccessible(page);

  // The auditor's own reads are in the log.
  await page.getByLabel('Tipo di evento').fill('AuditRead');
  await page.getByLabel('Attore').fill(AUDITOR);
  await page.getByRole('button', { name: 'Cerca' }).click();
  await expect(page.getByText(/^Eventi mostrati: [1-9]/)).toBeVisible();
  await page.getByText(/^Metadati dell’evento n\. \d+$/).first().click();
  await expect(page.getByText('Hash precedente').first()).toBeVisible();
  await expectAccessible(page);

  // The log's NDJSON export: one JSON event per line, the request's events among them.
  await page.getByLabel('Tipo di evento').fill('');
  await page.getByLabel('Attore').fill('');
  await page.getByRole('button', { name: 'Cerca' }).click();
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Scarica NDJSON' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/\.ndjson$/);
  const lines = readFileSync((await download.path())!, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const exported = lines.map((l) => JSON.parse(l) as { stream_id: string });
  expect(exported.some((e) => e.stream_id === `request-${created.request_id}`), lines.slice(0, 3).join('\n')).toBeTruthy();

  // "Stato al…" without anything: a form and a hint, no error; with the request only: today's state.
  await page.goto('/audit/stato');
  await expect(page.getByRole('heading', { level: 1, name: 'Stato al…' })).toBeVisible();
  await expect(page.getByText('senza istante né versione si vede il suo stato di oggi', { exact: false })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.goto(`/audit/stato?id=${created.request_id}`);
  const today = page.getByRole('region', { name: 'Stato di oggi' });
  await expect(today.getByRole('paragraph').first()).toContainText('Oggi: Risposta ricevuta');
  await expect(page.getByRole('alert')).toHaveCount(0);
  await expectAccessible(page);

  await page.goto('/audit/stato');
  await expect(page.getByRole('heading', { level: 1, name: 'Stato al…' })).toBeVisible();
  await page.getByLabel('Identificativo della richiesta').fill(created.request_id);
  await page.getByLabel('Istante').fill(romeLocal(before));
  await page.getByRole('button', { name: 'Mostra' }).click();
  const summary = page.getByRole('region', { name: 'Confronto' }).getByRole('paragraph').first();
  await expect(summary).toContainText(`: ${sawThen}, versione`);
  await expect(summary).toContainText('Oggi: Risposta ricevuta');
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Storia del flusso' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Storia del flusso' })).toBeVisible();
  await page.getByRole('button', { name: 'Verifica integrità del flusso' }).click();
  await expect(page.getByText(/^Registro integro: \d+ eventi in 1 flusso,/)).toBeVisible();
  await expectAccessible(page);
});
