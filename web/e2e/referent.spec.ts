import { expect, expectAccessible, test } from './fixtures';

// Manual §4.1: a regional referent chooses the profile, then reads the Informativa; the home
// panel's search has no Codice fiscale for the referent (§4.2).
test('a regional referent chooses the profile and gets the referent home page', async ({ page }) => {
  await page.goto('/accesso');
  await page.getByRole('button', { name: /^Accedi come Marco Conti/ }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Scelta del profilo' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('radio', { name: /^Referente regionale/ }).check();
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' })).toBeVisible();
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
  const panel = page.getByRole('region', { name: /Risposte ricevute negli ultimi 3 giorni/ });
  await expect(panel.getByLabel('Numero di protocollo')).toBeVisible();
  await expect(panel.getByLabel('Codice fiscale')).toHaveCount(0);
});

test('Esci signs out and returns to Accesso', async ({ page }) => {
  await page.goto('/accesso');
  await page.getByRole('button', { name: /^Accedi come Laura Rossi/ }).click();
  await page.getByRole('button', { name: 'Continua' }).click();
  await page.getByRole('button', { name: 'Esci' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
  await page.goto('/storico');
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
});
