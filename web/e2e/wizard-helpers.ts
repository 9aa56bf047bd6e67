import type { APIRequestContext, Locator, Page } from '@playwright/test';
import { expect, SEDE_OFFICERS, tokenFor } from './fixtures';

// The wizard's steps, found as a user finds them: by the step's heading, labels and buttons.

export const MARIO = { cf: 'RSSMRA60E12H501E', name: 'Mario Rossi', ownProtocol: 'INPS.3201.03/03/2025.0001234' };
export const ANNA = { cf: 'BNCNNA52S63H501H', name: 'Anna Bianchi', ownProtocol: 'INPS.3201.14/02/2025.0004321' };

export const stepHeading = (page: Page, name: string) => page.getByRole('heading', { level: 2, name });

/** Opens the wizard from the navbar (at 375 px through the menu button). */
export async function openWizard(page: Page) {
  const toggler = page.getByRole('button', { name: 'Menu di navigazione' });
  if (await toggler.isVisible()) await toggler.click();
  await page.getByRole('navigation', { name: 'Navigazione principale' }).getByRole('link', { name: 'Nuova richiesta' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Nuova richiesta' })).toBeVisible();
}

/** Individuazione cittadino by codice fiscale → Conferma utente with the delega → Compilazione. */
export async function identifyByCf(page: Page, cf: string, fullName: string) {
  await expect(stepHeading(page, 'Individuazione cittadino')).toBeVisible();
  await page.getByRole('textbox', { name: 'Codice fiscale' }).fill(cf);
  await page.getByRole('button', { name: 'Continua' }).click();
  await confirmCitizen(page, fullName);
}

export async function confirmCitizen(page: Page, fullName: string) {
  await expect(stepHeading(page, 'Conferma utente')).toBeVisible();
  await expect(page.getByText(fullName)).toBeVisible();
  await tick(page, page.getByRole('checkbox', { name: /Dichiaro di essere in possesso della delega/ }));
  await page.getByRole('button', { name: 'Continua' }).click();
  await expect(stepHeading(page, 'Compilazione richiesta')).toBeVisible();
}

export async function fillRequest(page: Page, text: string) {
  await page.getByLabel('Motivo del contatto').selectOption({ label: 'Requisiti e modalità di accesso ai servizi' });
  await page.getByLabel('Sotto-tematica').selectOption({ label: 'NASpI' });
  await page.getByLabel('Testo della richiesta').fill(text);
}

/** Riepilogo e inoltro → Invia → the protocol number of Conferma richiesta. */
export async function sendFromSummary(page: Page): Promise<{ protocol: string; requestId: string }> {
  await expect(stepHeading(page, 'Riepilogo e inoltro')).toBeVisible();
  await expect(page.getByText(/Sede competente per il CAP \d{5}/)).toBeVisible();
  await page.getByRole('button', { name: 'Invia' }).click();
  return readConfirmation(page);
}

export async function readConfirmation(page: Page) {
  await expect(stepHeading(page, 'Conferma richiesta')).toBeVisible();
  const line = page.getByText(/^Numero di protocollo:/);
  await expect(line).toBeVisible();
  const protocol = (await line.innerText()).replace('Numero di protocollo:', '').trim();
  expect(protocol).toMatch(/\S+/);
  const href = await page.getByRole('link', { name: `Apri il dettaglio della richiesta ${protocol}` }).getAttribute('href');
  return { protocol, requestId: href!.replace('/storico/', '') };
}

/** A request's detail through the API (what was really sent). */
export async function requestRow(request: APIRequestContext, token: string, id: string) {
  const res = await request.get(`/api/v1/requests/${id}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.ok(), await res.text()).toBeTruthy();
  return ((await res.json()) as { request: Record<string, unknown> }).request;
}

/**
 * The sede that has the request replies through the API. The request was already shown by the UI
 * (so no read-your-writes wait: the wizard does not show the command's log position).
 */
export async function sedeReplyTo(request: APIRequestContext, operatorToken: string, requestId: string, text: string) {
  const sede = (await requestRow(request, operatorToken, requestId)).current_sede as string;
  const officer = SEDE_OFFICERS[sede];
  expect(officer, `no demo officer for sede ${sede}`).toBeTruthy();
  const token = await tokenFor(request, officer!);
  const res = await request.post(`/api/v1/requests/${requestId}/replies`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { text, attachments: [] },
  });
  expect(res.ok(), await res.text()).toBeTruthy();
  // Read-your-writes for the home panel, as the UI would with the command's position.
  const position = ((await res.json()) as { position: number }).position;
  const panel = await request.get(`/api/v1/home/recent-replies?min_position=${position}`, { headers: { Authorization: `Bearer ${operatorToken}` } });
  expect(panel.ok(), await panel.text()).toBeTruthy();
}

/**
 * Checks a checkbox or radio found by its role: Bootstrap Italia draws the box in the label, over
 * the transparent input, so a user clicks the label.
 */
export async function tick(page: Page, box: Locator) {
  const id = await box.getAttribute('id');
  await page.locator(`label[for="${id}"]`).click();
  await expect(box).toBeChecked();
}

/** Presses Tab until `target` has the focus (the keyboard's way to reach a control). */
export async function tabTo(page: Page, target: Locator, max = 80) {
  for (let i = 0; i < max; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`not reached with Tab: ${target}`);
}

/** A minimal PDF (recognised by its %PDF- header) of about `kb` kilobytes. */
export function pdf(kb: number): Buffer {
  return Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(kb * 1024, 0x20), Buffer.from('\n%%EOF\n')]);
}
