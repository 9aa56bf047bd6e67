// A minimal valid PDF (uploads are recognised by content).
const PDF = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n';

import { advanceDays, createRequest, expect, sedeReply, signIn, test, tokenFor, OPERATOR } from './fixtures';

// The operator's day, as the manual tells it: home → storico → detail; a sede reply shows in the
// home panel; a follow-up goes out from "Nuova comunicazione"; a sollecito waits 15 days.
test.describe.configure({ mode: 'serial' });

test('home, storico and detail of a sent request', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Quali requisiti per la NASpI dopo un contratto a termine?');

  await signIn(page);
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Storico richieste' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Storico richieste' })).toBeVisible();

  // Filter by protocol number, then open the row's detail.
  await page.getByLabel('Criterio di ricerca').selectOption({ label: 'Numero protocollo' });
  await page.getByLabel('Numero protocollo').fill(created.protocol);
  await page.getByRole('button', { name: 'Cerca' }).click();
  await expect(page.getByText('Richieste mostrate: 1.')).toBeVisible();
  await page.getByRole('link', { name: `Dettaglio della richiesta ${created.protocol}` }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio richiesta' })).toBeVisible();
  await expect(page.getByText('RSSMRA60E12H501E')).toBeVisible();
  await expect(page.getByText('Richiesta inoltrata')).toBeVisible();
  // Not yet possible: disabled, with the API's Italian reason and date.
  const sollecita = page.getByRole('button', { name: 'Sollecita' });
  await expect(sollecita).toBeDisabled();
  await expect(page.getByText(/Sollecito possibile dal \d{2}\/\d{2}/)).toBeVisible();
  // No reply yet: no follow-up either.
  await expect(page.getByRole('button', { name: 'Invia' })).toBeDisabled();

  // A deep link reloads into the same screen (the server answers the app for /storico/…).
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio richiesta' })).toBeVisible();
});

test('a sede reply shows in the home panel and the operator follows up', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Serve il modello per la domanda di NASpI?');
  const reply = 'Il modello è disponibile online; alleghi il contratto di lavoro.';
  await sedeReply(request, token, created, reply);

  await signIn(page);
  await expect(page.getByRole('heading', { name: /Risposte ricevute negli ultimi 3 giorni: [1-9]/ })).toBeVisible();
  await page.getByLabel('Numero di protocollo').fill(created.protocol);
  await page.getByRole('button', { name: 'Cerca' }).click();
  await expect(page.getByText('1 risposta trovata.')).toBeVisible();
  await expect(page.getByText(reply)).toBeVisible();
  // The subject is the topic and benefit ("… – NASpI"); the protocol search left one reply.
  await page.getByRole('region', { name: /Risposte ricevute/ }).getByRole('listitem').getByRole('link').click();

  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio richiesta' })).toBeVisible();
  await expect(page.getByText('Interazioni residue:')).toContainText('2 di 2');
  await page.getByLabel('Testo della comunicazione').fill('Grazie, alleghiamo il contratto con la prossima comunicazione.');
  await page.getByLabel('Aggiungi allegati').setInputFiles({ name: 'contratto.pdf', mimeType: 'application/pdf', buffer: Buffer.from(PDF) });
  await expect(page.getByRole('button', { name: 'Rimuovi contratto.pdf' })).toBeVisible();
  await page.getByRole('button', { name: 'Invia' }).click();
  await expect(page.getByText('Comunicazione inviata alla sede.').first()).toBeVisible();
  // Read-your-writes: the timeline and the counter already show the message.
  await expect(page.getByText('Grazie, alleghiamo il contratto con la prossima comunicazione.')).toBeVisible();
  await expect(page.getByText('Interazioni residue:')).toContainText('1 di 2');
  // Awaiting the sede's answer: no second follow-up yet.
  await expect(page.getByRole('button', { name: 'Invia' })).toBeDisabled();

  // The attachment and the printable summary open through short-lived signed links.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Scarica contratto.pdf' }).first().click();
  expect((await download).suggestedFilename()).toContain('contratto');
  const popup = page.waitForEvent('popup');
  await page.getByRole('button', { name: 'Stampa riepilogo' }).click();
  const summary = await popup;
  await expect(summary.getByText(created.protocol).first()).toBeVisible();
});

test('a follow-up can be written and sent with the keyboard alone', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Richiesta per la prova da tastiera');
  await sedeReply(request, token, created, 'Risposta per la prova da tastiera');

  await signIn(page);
  await page.goto(`/storico/${created.request_id}`);
  await page.getByLabel('Testo della comunicazione').focus();
  await page.keyboard.type('Scritto e inviato con la tastiera.');
  await page.keyboard.press('Tab'); // Aggiungi allegati
  await expect(page.getByLabel('Aggiungi allegati')).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Invia' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Comunicazione inviata alla sede.').first()).toBeVisible();
  await expect(page.getByText('Scritto e inviato con la tastiera.')).toBeVisible();
});

test('an expired session returns to Accesso and keeps the draft', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Bozza da conservare');
  await sedeReply(request, token, created, 'Risposta per la bozza');

  await signIn(page);
  await page.goto(`/storico/${created.request_id}`);
  await page.getByLabel('Testo della comunicazione').fill('Testo che non deve andare perso');
  // The session ends (a token the server no longer accepts).
  await page.evaluate(() => {
    const s = JSON.parse(sessionStorage.getItem('combipat.session')!);
    sessionStorage.setItem('combipat.session', JSON.stringify({ ...s, token: 'scaduto' }));
  });
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Home page' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('La sessione è scaduta, accedi di nuovo');

  await signIn(page);
  await page.goto(`/storico/${created.request_id}`);
  await expect(page.getByLabel('Testo della comunicazione')).toHaveValue('Testo che non deve andare perso');
});

// Last: it moves the server's clock 15 days ahead.
test('after 15 days without a reply the operator sends a sollecito, after confirming', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Richiesta senza risposta da sollecitare');
  await advanceDays(request, 16);

  await signIn(page);
  await page.goto(`/storico/${created.request_id}`);
  const sollecita = page.getByRole('button', { name: 'Sollecita' });
  await expect(sollecita).toBeEnabled();
  await sollecita.click();
  const dialog = page.getByRole('dialog', { name: 'Sollecita la richiesta' });
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Annulla' }).click();
  await expect(dialog).toBeHidden();
  await sollecita.click();
  await dialog.getByRole('button', { name: 'Invia sollecito' }).click();
  await expect(page.getByText('Sollecito inviato alla sede.')).toBeVisible();
  await expect(page.getByText(/Sollecito n\. 1 inviato|Sollecito inviato$/).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sollecita' })).toBeDisabled();

  // Sent more than 15 days ago without a reply: an appointment can be booked, after confirming.
  await page.getByRole('button', { name: 'Prenota appuntamento' }).click();
  const days = page.getByRole('group', { name: 'Giorni del mese' });
  await expect(days.getByRole('button').first()).toBeVisible();
  if ((await days.getByRole('button', { disabled: false }).count()) === 0) {
    await page.getByRole('button', { name: 'Mese successivo' }).click();
  }
  await days.getByRole('button', { disabled: false }).first().click();
  await page.getByRole('group', { name: /^Orari liberi del/ }).getByRole('button').first().click();
  await page.getByRole('button', { name: 'Conferma appuntamento' }).click();
  await page.getByRole('dialog', { name: 'Conferma appuntamento' }).getByRole('button', { name: 'Prenota' }).click();
  await expect(page.getByText(/Appuntamento prenotato: codice [0-9A-Z]{8}\./)).toBeVisible();
  // The detail shows the booked appointment with its sede and code.
  await expect(page.getByText(/ presso .+ – codice [0-9A-Z]{8}$/)).toBeVisible();
  await expect(page.getByText('Appuntamento prenotato', { exact: true }).first()).toBeVisible();
});

test('Carica altri continues the Storico on the cursor, without repeating a row', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  for (let i = 0; i < 21; i++) await createRequest(request, token, `Richiesta ${i + 1} per la paginazione`);

  await signIn(page);
  await page.goto('/storico');
  await expect(page.getByText('Richieste mostrate: 20 (altre disponibili).')).toBeVisible();
  await page.getByRole('button', { name: 'Carica altri' }).click();
  await expect(page.getByText(/Richieste mostrate: (2[1-9]|[3-9]\d)/)).toBeVisible();
  const protocols = await page.getByRole('table').locator('tbody tr td:nth-child(2)').allTextContents();
  expect(protocols.length).toBeGreaterThan(20);
  expect(new Set(protocols).size).toBe(protocols.length);
});

test('the statistics download as CSV', async ({ page }) => {
  await signIn(page);
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Statistiche' }).click();
  await expect(page.getByRole('table')).toBeVisible();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Scarica CSV' }).click();
  expect((await download).suggestedFilename()).toMatch(/\.csv$/);
});
