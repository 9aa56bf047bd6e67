import { createRequest, expect, expectAccessible, test, tokenFor, OPERATOR } from './fixtures';
import { signInAs } from './sede-fixtures';

const AUDITOR = 'aud.demo';

// Accessi ai dati personali (issue 26), at 1280 and 375 px: the operator's reading of a request
// is found by the citizen's codice fiscale, with the stated purpose; the code is never shown back.
test('an auditor finds who read a citizen’s data', async ({ page, request }) => {
  const opToken = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, opToken, 'Richiesta per il registro degli accessi');
  const read = await request.get(`/api/v1/requests/${created.request_id}?min_position=${created.position}`, {
    headers: { Authorization: `Bearer ${opToken}`, 'X-Access-Purpose': 'Controllo pratica e2e' },
  });
  expect(read.ok()).toBeTruthy();

  await signInAs(page, request, AUDITOR);
  await page.goto('/audit/accessi');
  await expect(page.getByRole('heading', { level: 1, name: 'Accessi ai dati personali' })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel('Codice fiscale del cittadino').fill('rssmra60e12h501e');
  await page.getByRole('button', { name: 'Cerca gli accessi' }).click();
  await expect(page.getByText(/^Accessi mostrati: [1-9]/)).toBeVisible();
  // This run's read (the other viewport's run reads another request of the same citizen).
  const row = page.getByRole('row').filter({ hasText: `request-${created.request_id}` }).filter({ hasText: 'Controllo pratica e2e' });
  await expect(row).toContainText(OPERATOR.id);
  await expect(row).toContainText('Operatore di patronato');
  await expect(row.getByRole('link', { name: `request-${created.request_id}` })).toBeVisible();
  await expect(page.getByText('RSSMRA60E12H501E')).toHaveCount(0);
  await expectAccessible(page);
});
