import AxeBuilder from '@axe-core/playwright';
import { expect, test as base, type APIRequestContext, type Page } from '@playwright/test';

/** Demo users of reference/demo.json used by the tests, and the sede officer of each sede. */
export const OPERATOR = { id: 'op.rossi', name: 'Laura Rossi' };
export const SEDE_OFFICERS: Record<string, string> = {
  '3201': 'uff.bianchi',
  '3202': 'uff.eur',
  '3101': 'uff.milano',
  '2290': 'uff.cric',
  '2280': 'uff.polo',
};

/** A dev-session token, as the Accesso page gets one. */
export async function tokenFor(request: APIRequestContext, userId: string): Promise<string> {
  const res = await request.post('/api/v1/dev/session', { data: { user_id: userId } });
  expect(res.ok(), await res.text()).toBeTruthy();
  return ((await res.json()) as { token: string }).token;
}

const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface Created {
  request_id: string;
  protocol: string;
  position: number;
}

/** A request sent through the API (the wizard's own test comes with the wizard). */
export async function createRequest(request: APIRequestContext, token: string, text = 'Quali requisiti per la NASpI?'): Promise<Created> {
  const res = await request.post('/api/v1/requests', {
    headers: auth(token),
    data: {
      codice_fiscale: 'RSSMRA60E12H501E',
      mandate_declared: true,
      topic: 'requisiti_accesso',
      subtopic: 'naspi',
      text,
    },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  return (await res.json()) as Created;
}

/** The sede that has the request now replies, through the API. */
export async function sedeReply(request: APIRequestContext, operatorToken: string, created: Created, text: string) {
  const requestId = created.request_id;
  // Read-your-writes: the detail waits until the read model has the creation.
  const detail = await request.get(`/api/v1/requests/${requestId}?min_position=${created.position}`, { headers: auth(operatorToken) });
  expect(detail.ok(), await detail.text()).toBeTruthy();
  const sede = ((await detail.json()) as { request: { current_sede: string } }).request.current_sede;
  const officer = SEDE_OFFICERS[sede];
  expect(officer, `no demo officer for sede ${sede}`).toBeTruthy();
  const token = await tokenFor(request, officer!);
  const res = await request.post(`/api/v1/requests/${requestId}/replies`, { headers: auth(token), data: { text, attachments: [] } });
  expect(res.ok(), await res.text()).toBeTruthy();
  // Read-your-writes for the home panel (its own projection), as a UI would with the reply's position.
  const position = ((await res.json()) as { position: number }).position;
  const panel = await request.get(`/api/v1/home/recent-replies?min_position=${position}`, { headers: auth(operatorToken) });
  expect(panel.ok(), await panel.text()).toBeTruthy();
}

/** Moves the server's manual clock (COMBIPAT_CLOCK=manual): the service's administrator's call. */
export async function advanceDays(request: APIRequestContext, days: number) {
  const admin = await tokenFor(request, 'sys.demo');
  const res = await request.post('/api/v1/admin/clock', { headers: auth(admin), data: { advance_days: days } });
  expect(res.ok(), await res.text()).toBeTruthy();
}

/** Accesso → (Informativa) → Home page, through the UI as a user does. */
export async function signIn(page: Page, name = OPERATOR.name) {
  await page.goto('/accesso');
  await page.getByRole('button', { name: new RegExp(`^Accedi come ${name}`) }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Informativa sul servizio' })).toBeVisible();
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Home page' })).toBeVisible();
}

/**
 * axe with the WCAG 2.1 A/AA rules: no serious or critical violation; and the page fits the
 * viewport's width (no sideways scrolling at 375 px, WCAG 1.4.10 reflow).
 */
export async function expectAccessible(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, 'the page scrolls sideways').toBeLessThanOrEqual(0);
  // A select draws one arrow: the browser's (Bootstrap Italia's select-wrapper keeps
  // `appearance: auto`), never also Bootstrap's `.form-select` background arrow.
  const doubleArrows = await page.evaluate(() =>
    [...document.querySelectorAll('select')]
      .filter((s) => {
        const css = getComputedStyle(s);
        return css.appearance !== 'none' && css.backgroundImage !== 'none';
      })
      .map((s) => `#${s.id}`),
  );
  expect(doubleArrows, 'selects showing two arrows').toEqual([]);
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`),
  ).toEqual([]);
}

/** scripts/web.sh serves one server per Playwright worker, each on a database of its own. */
const BASE_URLS = (process.env.E2E_BASE_URLS ?? '').split(' ').filter(Boolean);

/**
 * A worker's tests talk to its own server (the tests move the manual clock and count what they
 * find); every page is watched for CSP refusals and script errors: the app must run under the
 * strict CSP.
 */
export const test = base.extend<{ cspWatch: void }>({
  baseURL: async ({ baseURL }, provide, testInfo) => {
    await provide(BASE_URLS.length > 0 ? BASE_URLS[testInfo.parallelIndex % BASE_URLS.length] : baseURL);
  },
  cspWatch: [
    async ({ page }, use) => {
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      await use();
      expect(problems).toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };
