import { createRequest, expect, expectAccessible, sedeReply, signIn, test, tokenFor, OPERATOR } from './fixtures';

// Issue 27: a sede's reply raises the operator's unread count in an open browser, without a
// reload (the header polls); the Notifiche page lists it, marks it read, keeps the preferences.
test('a sede reply raises the operator’s unread count without a reload', async ({ page, request }) => {
  // Start from nothing unread (the demo data and other tests may have notified this operator).
  const opToken = await tokenFor(request, OPERATOR.id);
  const read = await request.post('/api/v1/notifications/read', { headers: { Authorization: `Bearer ${opToken}` }, data: {} });
  expect(read.ok(), await read.text()).toBeTruthy();
  await signIn(page);
  const header = page.getByRole('banner');
  const link = header.getByRole('link', { name: /^Notifiche/ });
  await expect(link).toBeVisible();
  const named = (n: number) => (n === 0 ? 'Notifiche' : `Notifiche ${n} non lett${n === 1 ? 'a' : 'e'}`);
  const start = 0;
  await expect(link).toHaveAccessibleName(named(start));

  const created = await createRequest(request, opToken, 'Serve il modello per la NASpI?');
  await sedeReply(request, opToken, created, 'Sì, il modello è disponibile online.');
  // No reload: the header asks every 15 s.
  await expect(link).toHaveAccessibleName(named(start + 1), { timeout: 30_000 });

  await link.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Notifiche' })).toBeVisible();
  const item = page.getByRole('listitem').filter({ hasText: created.protocol });
  await expect(item.getByText('Risposta ricevuta')).toBeVisible();
  await expect(item.getByRole('link', { name: `Apri la richiesta ${created.protocol}` })).toBeVisible();
  await expectAccessible(page);
  await item.getByRole('button', { name: /^Segna come letta/ }).click();
  await expect(item.getByRole('button', { name: /^Segna come letta/ })).toHaveCount(0);
  await expect(link).toHaveAccessibleName(named(start));

  // Preferences: no e-mail for closings.
  const closing = page.getByRole('checkbox', { name: 'Conversazione chiusa' });
  await expect(closing).toBeChecked();
  // Bootstrap Italia draws the box in the label, over the transparent input: a user clicks the label.
  await page.locator(`label[for="${await closing.getAttribute('id')}"]`).click();
  await expect(closing).not.toBeChecked();
  await page.getByRole('button', { name: 'Salva preferenze' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Preferenze salvate.' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Conversazione chiusa' })).not.toBeChecked();

  // A phone.
  await page.setViewportSize({ width: 375, height: 800 });
  await expectAccessible(page);
});
