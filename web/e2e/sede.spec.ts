// A PDF small enough for the test (uploads are recognised by content).
const PDF = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';

import { advanceDays, createRequest, expect, signIn, test, tokenFor, OPERATOR } from './fixtures';
import type { APIRequestContext } from '@playwright/test';
import { bookFirstFreeSlot, currentSede, signInAs, SEDE_OFFICERS } from './sede-fixtures';

// The sede officers' day (issue 25): inbox → detail → take in charge, reply, forward, close, with
// the operator's browser following each change; the agenda; the queue console.
test.describe.configure({ mode: 'serial' });

/** The demo officers' names (reference/demo.json). */
const OFFICER_NAMES: Record<string, string> = {
  'uff.bianchi': 'Stefano Bianchi', 'uff.eur': 'Davide Greco', 'uff.milano': 'Chiara Colombo',
  'uff.cric': 'Roberto Marini', 'uff.polo': 'Federica Sala',
};

/** The service clock's day (Europe/Rome), as any signed-in user reads it. */
async function serviceToday(request: APIRequestContext): Promise<string> {
  const token = await tokenFor(request, OPERATOR.id);
  const res = await request.get('/api/v1/clock', { headers: { Authorization: `Bearer ${token}` } });
  expect(res.ok(), await res.text()).toBeTruthy();
  return ((await res.json()) as { today: string }).today;
}

/** "YYYY-MM-DD" of an instant in Europe/Rome. */
function romeDay(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

/** "YYYY-MM-DD" as the screens write it: "DD/MM/YYYY". */
function itDay(day: string): string {
  const [y, m, d] = day.split('-');
  return `${d}/${m}/${y}`;
}

test('a sede officer takes in charge, replies, forwards; the other sede closes; the operator sees it all', async ({ page, request, browser, baseURL }) => {
  const opToken = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, opToken, 'Quando arriva il primo pagamento della NASpI?');
  const sede = await currentSede(request, opToken, created.request_id, created.position);
  const officer = SEDE_OFFICERS[sede]!;
  const other = sede === '3202' ? { code: '3201', search: 'Flaminio' } : { code: '3202', search: 'Eur' };

  // The operator's browser, open on the request's detail.
  const opContext = await browser.newContext({ baseURL }); // this worker's server
  const op = await opContext.newPage();
  await signIn(op);
  await op.goto(`/storico/${created.request_id}`);
  await expect(op.getByRole('heading', { level: 1, name: 'Dettaglio richiesta' })).toBeVisible();
  // The operator's screen shows a change once the read model has it: reload until then, as a user would.
  const opSees = (text: string | RegExp) => expect(async () => {
    await op.reload();
    await expect(op.getByText(text).first()).toBeVisible({ timeout: 1000 });
  }).toPass({ timeout: 15_000 });

  // The officer lands on the inbox; the new request is in "Nuove".
  await signInAs(page, request, officer);
  await expect(page.getByRole('heading', { level: 1, name: 'Richieste in arrivo' })).toBeVisible();
  const buckets = page.getByRole('navigation', { name: 'Gruppi di richieste' });
  await expect(buckets.getByRole('link', { name: /^Nuove/ })).toHaveAttribute('aria-current', 'page');
  await expect(buckets.getByRole('link', { name: /^Nuove [1-9]/ })).toBeVisible();
  // Each bucket's badge is the API's count of it.
  const officerToken = await tokenFor(request, officer);
  const countsRes = await request.get(`/api/v1/sedi/${sede}/inbox/counts`, { headers: { Authorization: `Bearer ${officerToken}` } });
  expect(countsRes.ok(), await countsRes.text()).toBeTruthy();
  const counts = (await countsRes.json()) as Record<string, number>;
  for (const [bucket, label] of [['new', 'Nuove'], ['in_charge', 'In carico'], ['awaiting_reply', 'In attesa di risposta'],
    ['overdue', 'Scadute oltre 15 giorni'], ['all', 'Tutte']] as const) {
    await expect(buckets.getByRole('link', { name: `${label} ${counts[bucket]}`, exact: true })).toBeVisible();
  }
  await page.getByLabel('Numero protocollo').fill(created.protocol);
  await page.getByRole('button', { name: 'Cerca' }).click();
  await expect(page.getByText('Nuove: richieste mostrate 1.')).toBeVisible();
  await page.getByRole('link', { name: `Dettaglio della richiesta ${created.protocol}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio e risposta' })).toBeVisible();

  // Prendi in carico.
  await page.getByRole('button', { name: 'Prendi in carico' }).click();
  await expect(page.getByText('Richiesta presa in carico.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Prendi in carico' })).toBeDisabled();
  // Names, not codes: who took it in charge, the sender's patronato and office.
  const facts = page.getByRole('region', { name: 'Dati della richiesta' });
  await expect(facts.getByRole('definition').filter({ hasText: OFFICER_NAMES[officer]! })).toBeVisible();
  await expect(facts.getByText('Patronato INCA CGIL – INCA Roma Esquilino')).toBeVisible();
  await opSees(/Presa in carico dalla sede/);

  // Rispondi, with an attachment.
  const reply = 'Il primo pagamento arriva entro 30 giorni dalla domanda accolta.';
  await page.getByLabel('Testo della risposta').fill(reply);
  await page.getByLabel('Aggiungi allegati').setInputFiles({ name: 'risposta.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) });
  await expect(page.getByRole('button', { name: 'Rimuovi risposta.pdf' })).toBeVisible();
  await page.getByRole('button', { name: 'Invia risposta' }).click();
  await expect(page.getByText('Risposta inviata al patronato.')).toBeVisible();
  await expect(page.getByText(reply)).toBeVisible();
  await opSees(reply);
  await expect(op.getByRole('button', { name: 'Scarica risposta.pdf' }).first()).toBeVisible();

  // Inoltra ad altra sede: search, reason, confirmation; the request leaves this sede.
  await page.getByRole('button', { name: 'Inoltra ad altra sede' }).click();
  await page.getByLabel('Cerca la sede per nome').fill(other.search);
  // Bootstrap Italia draws the radio on its label: the user clicks the sede's name.
  await page.getByText(new RegExp(`\\(${other.code}\\)`)).click();
  await expect(page.getByRole('radio', { name: new RegExp(`\\(${other.code}\\)`) })).toBeChecked();
  await page.getByLabel('Motivo dell’inoltro').fill('Il cittadino risiede nel territorio dell’altra sede.');
  await page.getByRole('button', { name: 'Inoltra', exact: true }).click();
  const confirm = page.getByRole('dialog', { name: 'Conferma l’inoltro' });
  await confirm.getByRole('button', { name: 'Conferma inoltro' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Richieste in arrivo' })).toBeVisible();
  await expect(page.getByText(new RegExp(`Richiesta ${created.protocol} inoltrata alla sede`))).toBeVisible();
  await page.goto(`/sede/richieste/${created.request_id}`);
  await expect(page.getByRole('alert')).toContainText('non è tra quelle della tua sede');
  await opSees(/Inoltrata dalla sede .* alla sede/);

  // The other sede's officer finds it and closes the conversation, after confirming.
  await signInAs(page, request, SEDE_OFFICERS[other.code]!);
  await page.goto(`/sede/richieste?bucket=all&protocol=${created.protocol}`);
  await page.getByRole('link', { name: `Dettaglio della richiesta ${created.protocol}` }).click();
  await expect(page.getByText(reply)).toBeVisible();
  await page.getByRole('button', { name: 'Chiudi conversazione' }).click();
  await page.getByRole('dialog', { name: 'Chiudi la conversazione' }).getByRole('button', { name: 'Chiudi conversazione' }).click();
  await expect(page.getByText('Conversazione chiusa.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Chiudi conversazione' })).toBeDisabled();
  await opSees(/Conversazione chiusa dalla sede/);
  await opContext.close();
});

test('a citizen’s booking appears in the sede’s agenda', async ({ page, request }) => {
  // The service's day is not the browser's: the agenda starts from the service's.
  await advanceDays(request, 1);
  const today = await serviceToday(request);
  expect(today).not.toBe(romeDay(new Date()));
  const counters = await request.get('/api/v1/sedi/3201/counters');
  const counter = ((await counters.json()) as { items: { counter: string; active: boolean }[] }).items.find((c) => c.active)!.counter;
  const booking = await bookFirstFreeSlot(request, '3201', counter, 'BNCNNA52S63H501H');

  await signInAs(page, request, SEDE_OFFICERS['3201']!);
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Agenda' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Agenda' })).toBeVisible();
  await expect(page.getByLabel('Dal giorno')).toHaveValue(today);
  await expect(page.getByText(new RegExp(`^(Appuntamenti|Nessun appuntamento) dal ${itDay(today)}`))).toBeVisible();
  await page.getByLabel('Dal giorno').fill(booking.slot.date);
  await page.getByRole('button', { name: 'Mostra' }).click();
  const row = page.getByRole('row').filter({ hasText: booking.code });
  await expect(row).toBeVisible();
  await expect(row).toContainText(booking.slot.time);
  await expect(row).toContainText('BNCNNA52S63H501H');

  // The sede cancels it, after confirming; it stays listed among the cancelled ones.
  await row.getByRole('button', { name: `Annulla la prenotazione ${booking.code}` }).click();
  const dialog = page.getByRole('dialog', { name: 'Annulla la prenotazione' });
  await dialog.getByLabel('Motivo dell’annullamento').fill('Sportello chiuso per formazione');
  await dialog.getByRole('button', { name: 'Conferma annullamento' }).click();
  await expect(page.getByText(`Prenotazione ${booking.code} annullata.`)).toBeVisible();
  await expect(row).toHaveCount(0);
  await page.getByText('Mostra anche le prenotazioni annullate').click(); // Bootstrap Italia draws the box on the label
  await expect(page.getByLabel('Mostra anche le prenotazioni annullate')).toBeChecked();
  await expect(row).toContainText('Annullata: Sportello chiuso per formazione');
});

test('the queue console issues, calls and serves a ticket, and the figures follow', async ({ page, request }) => {
  await signInAs(page, request, SEDE_OFFICERS['3201']!);
  await page.goto('/sede/coda');
  await expect(page.getByRole('heading', { level: 1, name: 'Coda' })).toBeVisible();
  const waiting = async () => Number(await page.locator('dt', { hasText: 'Persone in coda' }).locator('xpath=following-sibling::dd[1]').textContent());
  const served = async () => Number(await page.locator('dt', { hasText: /^Serviti$/ }).locator('xpath=following-sibling::dd[1]').textContent());
  await expect(page.getByRole('heading', { name: 'Stato della coda' })).toBeVisible();
  // Today's queue is the service's today.
  await expect(page.getByText(`La coda di oggi (${itDay(await serviceToday(request))})`, { exact: false })).toBeVisible();
  const before = await waiting();
  const servedBefore = await served();

  await page.getByRole('button', { name: 'Emetti biglietto' }).click();
  const issued = page.getByText(/^Emesso il biglietto numero \d+\.$/);
  await expect(issued).toBeVisible();
  const number = Number(/\d+/.exec((await issued.textContent()) ?? '')![0]);
  await expect.poll(waiting).toBe(before + 1);

  // Everyone waiting is called until our ticket comes up.
  for (let i = 0; i <= before; i++) {
    await page.getByRole('button', { name: 'Chiama il prossimo' }).click();
    await expect(page.getByText(/^Chiamato il numero \d+ allo sportello 1\.$/)).toBeVisible();
    await expect.poll(waiting).toBe(before - i);
  }
  await expect(page.getByText(`Numero ${number}`, { exact: false }).first()).toBeVisible();
  await page.getByRole('button', { name: `Servito il numero ${number}` }).click();
  await expect(page.getByText(`Numero ${number} servito.`)).toBeVisible();
  await expect.poll(served).toBe(servedBefore + 1);
});
