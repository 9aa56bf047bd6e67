import { expect, expectAccessible, signIn, test } from './fixtures';
import { tick, confirmCitizen, fillRequest, openWizard, readConfirmation, stepHeading } from './wizard-helpers';

// Every step of Nuova richiesta at 1280 px (project desktop) and 375 px (project mobile): axe
// finds no serious or critical WCAG 2.1 AA violation, with the states a user meets (the omonimia
// choice, a refusal at its field, an attachment, Modifica sede open), and nothing scrolls sideways.
async function noSidewaysScroll(page: import('@playwright/test').Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test('every step of the wizard is accessible', async ({ page }) => {
  await signIn(page);
  await openWizard(page);
  await expect(stepHeading(page, 'Individuazione cittadino')).toBeVisible();
  await expectAccessible(page);

  await tick(page, page.getByRole('radio', { name: 'Anagrafica' }));
  await page.getByLabel('Cognome').fill('Rossi');
  await page.getByLabel('Nome', { exact: true }).fill('Mario');
  await page.getByLabel('Data di nascita').fill('1960-05-12');
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('group', { name: 'Seleziona il cittadino' })).toBeVisible();
  await expectAccessible(page);
  await noSidewaysScroll(page);
  await tick(page, page.getByRole('radio', { name: /RSSMRA60E12H501E/ }));
  await page.getByRole('button', { name: 'Continua' }).click();

  await expect(stepHeading(page, 'Conferma utente')).toBeVisible();
  await expectAccessible(page);
  await confirmCitizen(page, 'Mario Rossi');

  // A refusal at its field, then a valid request with an attachment.
  await page.getByLabel('Motivo del contatto').selectOption({ label: 'Sollecito domanda già presentata' });
  await page.getByLabel('Tipo di riferimento').selectOption({ label: 'Numero protocollo' });
  await page.getByLabel('Riferimento della pratica').fill('INPS.3201.14/02/2025.0004321');
  await page.getByLabel('Testo della richiesta').fill('Controllo di accessibilità');
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'non risulta associato' })).toBeVisible();
  await expectAccessible(page);
  await fillRequest(page, 'Controllo di accessibilità della compilazione');
  await page.getByLabel(/Aggiungi allegati/).setInputFiles({ name: 'documento.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
  await expect(page.getByRole('button', { name: 'Rimuovi allegato documento.pdf' })).toBeVisible();
  await expectAccessible(page);
  await noSidewaysScroll(page);

  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(stepHeading(page, 'Riepilogo e inoltro')).toBeVisible();
  await expect(page.getByText(/Sede competente per il CAP/)).toBeVisible();
  await page.getByRole('button', { name: 'Modifica sede' }).click();
  await page.getByLabel('Nome o città della sede').fill('Roma');
  await page.getByRole('button', { name: 'Cerca sede' }).click();
  await expect(page.getByText(/^Sedi trovate: \d+\.$/)).toBeVisible();
  await expectAccessible(page);
  await noSidewaysScroll(page);

  await page.getByRole('button', { name: 'Invia' }).click();
  await readConfirmation(page);
  await expectAccessible(page);
  await noSidewaysScroll(page);
});

test("a regional referent's request on their own behalf: no citizen steps, the region's CRIC", async ({ page }) => {
  await page.goto('/accesso');
  await page.getByRole('button', { name: /^Accedi come Marco Conti/ }).click();
  // The referent chooses a profile first (manual §4.1), then the Informativa.
  await expect(page.getByRole('heading', { level: 1, name: 'Scelta del profilo' })).toBeVisible();
  await tick(page, page.getByRole('radio', { name: /^Referente regionale/ }));
  await page.getByRole('button', { name: 'Continua' }).click();
  const informativa = page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' });
  await expect(informativa).toBeVisible();
  await page.getByRole('button', { name: 'Continua' }).click();
  await openWizard(page);

  await expect(page.getByRole('navigation', { name: 'Passaggi della richiesta' }).getByRole('listitem')).toHaveCount(3);
  await expect(stepHeading(page, 'Compilazione richiesta')).toBeVisible();
  await expect(page.getByLabel('Motivo del contatto').getByRole('option')).toHaveText([
    'Seleziona il motivo del contatto', 'Requisiti e modalità di accesso ai servizi', 'Chiarimento normativo',
  ]);
  await expectAccessible(page);
  await page.getByLabel('Motivo del contatto').selectOption({ label: 'Chiarimento normativo' });
  await page.getByLabel('Testo della richiesta').fill('Chiarimento sul cumulo tra NASpI e lavoro occasionale.');
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(stepHeading(page, 'Riepilogo e inoltro')).toBeVisible();
  await expect(page.getByText(/Struttura CRIC della regione del referente/)).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Invia' }).click();
  await readConfirmation(page);
  await expect(page.getByRole('button', { name: 'Nuova richiesta per lo stesso cittadino' })).toHaveCount(0);
  await page.getByRole('link', { name: 'Torna alla Home' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
  // The draft ended with the request: the wizard starts afresh.
  await openWizard(page);
  await expect(page.getByLabel('Motivo del contatto')).toHaveValue('');
  await expect(page.getByLabel('Testo della richiesta')).toHaveValue('');
});
