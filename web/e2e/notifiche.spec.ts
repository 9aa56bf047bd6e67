import { createRequest, expect, expectAccessible, sedeReply, signIn, test, tokenFor, OPERATOR } from './fixtures';

// Issue 27: a sede's reply raises the operator's unread count in an open browser, without a
// reload (the header polls); the Notifiche page lists it, marks it read, keeps the preferences.
test('a sede reply raises the operator’s unread count without a reload', async ({ page, request }) => {
  await signIn(page);
  const header = page.getByRole('banner');
  const link = header.getByRole('link', { name: /^Notifiche/ });
  await expect(link).toBeVisible();
  const before = (await link.getAttribute('aria-label')) ?? 'Notifiche';
  const count = (label: string) => Number(/(\d+) non lett/.exec(label)?.[1] ?? 0);
  const start = count(before);

  const opToken = await tokenFor(request, OPERATOR.id);
  const created = await createRequest(request, opToken, 'Serve il modello per la NASpI?');
  await sedeReply(request, opToken, created, 'Sì, il modello è disponibile online.');
  // No reload: the header asks every 15 s.
  await expect(link).toHaveAttribute('aria-label', `Notifiche, ${start + 1} non lett${start + 1 === 1 ? 'a' : 'e'}`, { timeout: 30_000 });

  await link.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Notifiche' })).toBeVisible();
  const item = page.getByRole('listitem').filter({ hasText: created.protocol });
  await expect(item.getByText('Risposta ricevuta')).toBeVisible();
  await expect(item.getByRole('link', { name: `Apri la richiesta ${created.protocol}` })).toBeVisible();
  await expectAccessible(page);
  await item.getByRole('button', { name: /^Segna come letta/ }).click();
  await expect(item.getByRole('button', { name: /^Segna come letta/ })).toHaveCount(0);
  await expect(link).toHaveAttribute('aria-label', start === 0 ? 'Notifiche' : new RegExp(`^Notifiche, ${start} non lett`));

  // Preferences: no e-mail for closings.
  const closing = page.getByRole('checkbox', { name: 'Conversazione chiusa' });
  await expect(closing).toBeChecked();
  await closing.uncheck();
  await page.getByRole('button', { name: 'Salva preferenze' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Preferenze salvate.' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('checkbox', { name: 'Conversazione chiusa' })).not.toBeChecked();

  // A phone.
  await page.setViewportSize({ width: 375, height: 800 });
  await expectAccessible(page);
});
