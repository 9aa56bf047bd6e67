import { expect, expectAccessible, test } from './fixtures';
import { fillRequest, identifyByCf, MARIO, openWizard, stepHeading } from './wizard-helpers';
import type { Page } from '@playwright/test';

// Signing in with the identity provider: a real OpenID Connect provider (panva's oidc-provider,
// web/e2e/oidc/provider.mjs, started by scripts/web.sh e2e), authorization code with PKCE, its
// own login form; the server trusts the provider's tokens (COMBIPAT_OIDC_*).
const ISSUER = process.env.E2E_OIDC_ISSUER ?? '';

async function providerLogin(page: Page, login: string) {
  await page.waitForURL((url) => url.href.startsWith(`${ISSUER}/`));
  await page.getByPlaceholder('Enter any login').fill(login);
  await page.getByPlaceholder('and password').fill('password-del-test');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  // The provider's consent page, the first time this client asks for this user.
  await page.getByRole('button', { name: 'Continue' }).click();
}

test('signs in through the identity provider, lands on Home as its operator, signs out', async ({ page }) => {
  expect(ISSUER, 'scripts/web.sh e2e starts the provider').toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await page.goto('/accesso');
  // The pages may connect to the provider's origin, and to no other.
  const csp = response!.headers()['content-security-policy'];
  expect(csp).toContain(`connect-src 'self' ${ISSUER};`);
  await expect(page.getByRole('heading', { level: 2, name: 'Accesso con identità digitale' })).toBeVisible();
  await expectAccessible(page);

  await page.getByRole('button', { name: 'Entra con SPID o CIE' }).click();
  await providerLogin(page, 'giulia.conti');

  await expect(page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' })).toBeVisible();
  expect(new URL(page.url()).pathname).toBe('/informativa');
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
  await expect(page.getByText('Benvenuto, Giulia Conti.')).toBeVisible();

  // The session holds the provider's access token (RS256, for the service), and only there.
  const stored = await page.evaluate(() => ({
    session: JSON.parse(sessionStorage.getItem('combipat.session') ?? 'null') as { token: string; userId: string } | null,
    keys: Object.keys(sessionStorage),
  }));
  expect(stored.session?.userId).toBe('giulia.conti');
  const header = JSON.parse(Buffer.from(stored.session!.token.split('.')[0]!, 'base64url').toString()) as { alg: string };
  expect(header.alg).toBe('RS256');
  expect(stored.keys.filter((k) => k.startsWith('combipat.oidc.'))).toEqual([]);

  await page.getByRole('button', { name: 'Esci' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
  expect(await page.evaluate(() => sessionStorage.getItem('combipat.session'))).toBeNull();
  await page.goto('/storico');
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
});

test('a provider token that expires returns to Accesso with the message; signing in again finds the draft', async ({ page }) => {
  // Paolo Brevi's tokens live 5 s; the service accepts a token up to E2E_OIDC_LEEWAY_SECS past its
  // expiry (scripts/web.sh; clock skew, 60 s in production).
  const leewayMs = Number(process.env.E2E_OIDC_LEEWAY_SECS ?? '60') * 1000;
  test.setTimeout(90_000 + leewayMs);
  await page.goto('/accesso');
  await page.getByRole('button', { name: 'Entra con SPID o CIE' }).click();
  await providerLogin(page, 'paolo.brevi');
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
  await openWizard(page);
  await identifyByCf(page, MARIO.cf, MARIO.name);
  const text = 'Testo scritto prima della scadenza del token del provider';
  await fillRequest(page, text);

  const expiresAt = await page.evaluate(() => (JSON.parse(sessionStorage.getItem('combipat.session')!) as { expiresAt: string }).expiresAt);
  await page.waitForTimeout(Math.max(0, Date.parse(expiresAt) + leewayMs + 2_000 - Date.now()));
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Accesso' })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveText('La sessione è scaduta, accedi di nuovo');

  // The provider still knows the user: no login form, straight back, and on to the wizard's step.
  await page.getByRole('button', { name: 'Entra con SPID o CIE' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' })).toBeVisible();
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Nuova richiesta' })).toBeVisible();
  await expect(stepHeading(page, 'Compilazione richiesta')).toBeVisible();
  await expect(page.getByLabel('Testo della richiesta')).toHaveValue(text);
});
