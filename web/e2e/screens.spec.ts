import { createRequest, expect, expectAccessible, sedeReply, signIn, test, tokenFor, OPERATOR } from './fixtures';

// Every screen of the operator, at 1280 px (project desktop) and 375 px (project mobile): it shows
// its heading and axe finds no serious or critical WCAG 2.1 AA violation.
test('every operator screen is accessible', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Richiesta per il controllo di accessibilità');
  await sedeReply(request, token, created, 'Risposta della sede per il controllo di accessibilità');

  const response = await page.goto('/accesso');
  // The page runs under the server's strict CSP (the fixture fails the test on any refusal).
  expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('lang', 'it');
  await expectAccessible(page);

  await page.getByRole('button', { name: new RegExp(`^Accedi come ${OPERATOR.name}`) }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' })).toBeVisible();
  await expectAccessible(page);
  await page.getByRole('button', { name: 'Continua' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
  await expect(page.getByRole('heading', { name: /Risposte ricevute negli ultimi 3 giorni: [1-9]/ })).toBeVisible();
  await expectAccessible(page);

  await page.goto('/storico');
  await expect(page.getByRole('heading', { level: 1, name: 'Storico richieste' })).toBeVisible();
  await expect(page.getByText(created.protocol)).toBeVisible();
  await expectAccessible(page);

  await page.goto(`/storico/${created.request_id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio richiesta' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Cronologia comunicazione' })).toBeVisible();
  await expectAccessible(page);

  await page.goto('/statistiche');
  await expect(page.getByRole('heading', { level: 1, name: 'Statistiche' })).toBeVisible();
  await expect(page.getByRole('table')).toBeVisible();
  await expectAccessible(page);

  await page.goto('/nuova-richiesta');
  await expect(page.getByRole('heading', { level: 1, name: 'Nuova richiesta' })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole('link', { name: 'Dichiarazione di accessibilità' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dichiarazione di accessibilità' })).toBeVisible();
  await expectAccessible(page);
});

test('the navigation works at this width, with the keyboard', async ({ page }) => {
  await signIn(page);
  const toggler = page.getByRole('button', { name: 'Menu di navigazione' });
  if (await toggler.isVisible()) {
    // Phone width: the menu opens from its button and Esc closes it, back on the button.
    await toggler.click();
    await expect(toggler).toHaveAttribute('aria-expanded', 'true');
    await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Home page' }).focus();
    await page.keyboard.press('Escape');
    await expect(toggler).toHaveAttribute('aria-expanded', 'false');
    await expect(toggler).toBeFocused();
    await toggler.click();
  }
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Storico richieste' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Storico richieste' })).toBeFocused();
  await expect(page).toHaveURL(/\/storico/);
});

test('a skip link takes keyboard users to the content', async ({ page }) => {
  await signIn(page);
  await page.goto('/storico'); // a full load: the focus starts at the top of the document
  await expect(page.getByRole('heading', { level: 1, name: 'Storico richieste' })).toBeVisible();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Vai al contenuto principale' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/#main$/);
  await expect(page.locator('main')).toBeFocused();
});

test('the accessibility check does fail on a violation', async ({ page }) => {
  // Guards the guard: an unlabelled field and an image without text must be reported.
  await page.setContent('<!doctype html><html lang="it"><body><main><h1>Prova</h1><input type="text"><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="></main></body></html>');
  await expect(expectAccessible(page)).rejects.toThrow(/label|image-alt/);
});
