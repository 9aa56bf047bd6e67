import { createRequest, expect, expectAccessible, sedeReply, test, tokenFor, OPERATOR } from './fixtures';
import { signInAs } from './sede-fixtures';

const AUDITOR = 'aud.demo';
const MARIO = 'RSSMRA60E12H501E';

// Copia dei dati personali (GDPR art. 15, issue 26), at 1280 and 375 px: an auditor prepares the
// copy of a citizen's data — the request's text, the sede's reply, who read it and why — prints it
// (only the copy is printed), and the copy's own reading is recorded with its purpose.
test('an auditor prepares and prints a citizen’s copy', async ({ page, request }) => {
  const opToken = await tokenFor(request, OPERATOR.id);
  const text = `Richiesta per la copia dei dati ${Date.now()}`;
  const reply = `Risposta per la copia ${Date.now()}`;
  const created = await createRequest(request, opToken, text);
  await sedeReply(request, opToken, created, reply);
  // The reply reaches the requests' read model (the copy reads it as it is).
  const auditorToken = await tokenFor(request, AUDITOR);
  await expect
    .poll(async () => {
      const r = await request.get(`/api/v1/privacy/subject-copy?codice_fiscale=${MARIO}`, { headers: { Authorization: `Bearer ${auditorToken}` } });
      return (await r.text()).includes(reply);
    })
    .toBe(true);

  await signInAs(page, request, AUDITOR);
  await page.goto('/audit/copia');
  await expect(page.getByRole('heading', { level: 1, name: 'Copia dei dati personali' })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel('Codice fiscale del cittadino').fill(MARIO.toLowerCase());
  await page.getByLabel(/^Finalità/).fill('Accesso art. 15 prot. e2e');
  await page.getByRole('button', { name: 'Prepara la copia' }).click();

  const copy = page.getByRole('article', { name: 'Copia dei dati personali' });
  await expect(copy).toBeVisible();
  await expect(copy).toContainText(MARIO);
  const section = copy.getByRole('region', { name: new RegExp(created.protocol) });
  await expect(section).toContainText(text);
  await expect(section).toContainText(reply);
  await expect(copy.getByText(/Rossi Mario/i).first()).toBeVisible();
  // This very reading is listed, with its purpose.
  await expect(copy.getByRole('row').filter({ hasText: 'getSubjectCopy' }).filter({ hasText: 'Accesso art. 15 prot. e2e' }).first()).toBeVisible();
  // The code never reaches the URL.
  expect(page.url()).not.toContain(MARIO);
  expect(page.url().toUpperCase()).not.toContain(MARIO);
  await expectAccessible(page);

  // Printed: the copy only, without the form and the header.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('button', { name: 'Prepara la copia' })).toBeHidden();
  await expect(copy).toBeVisible();
  await page.emulateMedia({ media: 'screen' });
  await expect(page.getByRole('button', { name: 'Stampa' })).toBeVisible();
});
