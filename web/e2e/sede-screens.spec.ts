import { createRequest, expect, expectAccessible, test, tokenFor, OPERATOR } from './fixtures';
import { currentSede, signInAs, SEDE_OFFICERS } from './sede-fixtures';

// Every sede officer's screen at 1280 px and 375 px (this file runs in both projects): its heading,
// the role's navbar, and no serious or critical WCAG 2.1 AA violation.
test('every sede officer screen is accessible', async ({ page, request }) => {
  const token = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, token, 'Richiesta per il controllo di accessibilità della sede');
  const sede = await currentSede(request, token, created.request_id, created.position);

  await signInAs(page, request, SEDE_OFFICERS[sede]!);
  await expect(page.getByRole('heading', { level: 1, name: 'Richieste in arrivo' })).toBeVisible();
  await expect(page.getByRole('link', { name: `Dettaglio della richiesta ${created.protocol}` })).toBeVisible();
  // A sede officer has the sede's navbar, not the patronato's.
  const nav = page.getByRole('navigation', { name: 'Navigazione principale' });
  await expect(nav.getByRole('link', { name: 'Storico richieste', includeHidden: true })).toHaveCount(0);
  await expect(nav.getByRole('link', { name: 'Coda', includeHidden: true })).toHaveCount(1);
  await expectAccessible(page);

  await page.goto(`/sede/richieste/${created.request_id}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio e risposta' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Cronologia comunicazione' })).toBeVisible();
  await page.getByRole('button', { name: 'Inoltra ad altra sede' }).click();
  await page.getByLabel('Cerca la sede per nome').fill('Roma');
  await expect(page.getByText(/Sedi trovate: \d+\./)).toBeVisible();
  await expectAccessible(page);

  await page.goto('/sede/agenda');
  await expect(page.getByRole('heading', { level: 1, name: 'Agenda' })).toBeVisible();
  await expect(page.getByText(/Appuntamenti dal|Nessun appuntamento dal/)).toBeVisible();
  await expectAccessible(page);

  await page.goto('/sede/chiusure');
  await expect(page.getByRole('heading', { level: 1, name: 'Chiusure e avvisi' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Dichiara chiusura' })).toBeVisible();
  await expectAccessible(page);

  await page.goto('/sede/coda');
  await expect(page.getByRole('heading', { level: 2, name: 'Stato della coda' })).toBeVisible();
  await expectAccessible(page);
});

test('closures and notices are declared and withdrawn, after confirming', async ({ page, request }) => {
  await signInAs(page, request, SEDE_OFFICERS['3202']!);
  await page.goto('/sede/chiusure');
  const reason = `Disinfestazione ${test.info().project.name}`;
  await page.getByLabel('Giorno di chiusura').fill('2027-03-15');
  await page.getByLabel('Motivo della chiusura').fill(reason);
  await page.getByRole('button', { name: 'Dichiara chiusura' }).click();
  await expect(page.getByText('Chiusura del 15/03/2027 dichiarata.', { exact: true })).toBeVisible();
  const item = page.getByRole('listitem').filter({ hasText: reason });
  await expect(item).toBeVisible();
  await item.getByRole('button', { name: /^Revoca/ }).click();
  await page.getByRole('dialog', { name: 'Revoca la chiusura' }).getByRole('button', { name: 'Revoca chiusura' }).click();
  await expect(page.getByText('Chiusura revocata.', { exact: true })).toBeVisible();
  await expect(item).toHaveCount(0);

  const text = `Ingresso da via laterale (${test.info().project.name})`;
  await page.getByLabel('Valido dal').fill('2027-03-16');
  await page.getByLabel('Valido al').fill('2027-03-20');
  await page.getByLabel('Testo dell’avviso').fill(text);
  await page.getByRole('button', { name: 'Pubblica avviso' }).click();
  await expect(page.getByText('Avviso pubblicato.', { exact: true })).toBeVisible();
  // The booking app shows it on its days.
  const day = await request.get('/api/v1/sedi/3202/closures');
  expect(JSON.stringify(await day.json())).toContain(text);
  const notice = page.getByRole('listitem').filter({ hasText: text });
  await notice.getByRole('button', { name: /^Ritira/ }).click();
  await page.getByRole('dialog', { name: 'Ritira l’avviso' }).getByRole('button', { name: 'Ritira avviso' }).click();
  await expect(page.getByText('Avviso ritirato.', { exact: true })).toBeVisible();
  await expect(notice).toHaveCount(0);
});
