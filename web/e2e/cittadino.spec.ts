import type { Browser, Page } from '@playwright/test';
import { expect, expectAccessible, test, tokenFor } from './fixtures';
import { signInAs } from './sede-fixtures';

// The citizens' booking app (issue 25, seed 002) on a phone first: 375 × 667.
test.use({ viewport: { width: 375, height: 667 } });
// Several browsers, axe at two sizes and a 2-core machine: longer than the default minute.
test.describe.configure({ timeout: 180_000 });

/** Demo people of reference/README.md, one per scenario (the limits are per codice fiscale). */
const ANONYMOUS = 'DNGNCL90B28G273B';
const RACER_A = 'PPSNDR85R04Z129A';
const RACER_B = 'RSSMRA60E12F839G';
const SLOW = 'RSSGPP75C08H501Y';
const LATE = 'RSSGPP75C08H50MQ';

async function accessibleBothSizes(page: Page) {
  await expectAccessible(page);
  await page.setViewportSize({ width: 1280, height: 900 });
  await expectAccessible(page);
  await page.setViewportSize({ width: 375, height: 667 });
}

/** Descrizione → Ricerca sede (Lazio, Roma, Roma, the sede) → Lista sportelli. */
async function reachSede(page: Page, sede = '3231', region = 'LAZ', province = 'RM', town = '058091', check = false) {
  await page.goto('/prenota');
  await expect(page.getByRole('heading', { level: 1, name: 'Descrizione del servizio' })).toBeVisible();
  if (check) await accessibleBothSizes(page);
  await page.getByRole('link', { name: 'Avanti' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Ricerca sede' })).toBeVisible();
  await page.getByLabel('Regione').selectOption(region);
  await page.getByLabel('Provincia').selectOption(province);
  await page.getByLabel('Comune').selectOption(town);
  await page.getByLabel('Sede').selectOption(sede);
  if (check) await accessibleBothSizes(page);
  await page.getByRole('button', { name: 'Accedi alla sede' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Lista sportelli disponibili' })).toBeVisible();
}

const longDate = new Intl.DateTimeFormat('it-IT', { timeZone: 'Europe/Rome', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** The day shown by "Seleziona un orario per DD/MM/YYYY", as the calendar's buttons name it. */
async function chosenDay(page: Page): Promise<string> {
  const text = (await page.getByRole('heading', { level: 2, name: /Seleziona un orario per/ }).textContent()) ?? '';
  const [d, m, y] = /(\d\d)\/(\d\d)\/(\d{4})/.exec(text)!.slice(1);
  return longDate.format(new Date(`${y}-${m}-${d}T12:00:00Z`));
}

/** The counter's calendar, the first green day (or the given one), its times. */
async function reachDay(page: Page, counter: string, cf: string | null, check = false, day?: string) {
  await page.getByRole('link', { name: `Prenota ${counter}` }).click();
  if (cf) await page.getByLabel('Codice fiscale (obbligatorio)').fill(cf);
  const green = day
    ? page.getByRole('button', { name: new RegExp(`^${day}: disponibile`) })
    : page.getByRole('button', { name: /: disponibile, \d+ orari liberi/ }).first();
  await expect(green).toBeVisible();
  if (check) await accessibleBothSizes(page);
  await green.click();
  await expect(page.getByRole('heading', { level: 2, name: /Seleziona un orario per/ })).toBeVisible();
}

function times(page: Page) {
  return page.getByRole('list').filter({ has: page.getByRole('button', { name: /^\d\d:\d\d$/ }) }).getByRole('button');
}

test('a citizen books without signing in, sees the countdown, finds the booking on this device and cancels it', async ({ page }) => {
  await reachSede(page, '3231', 'LAZ', 'RM', '058091', true);
  await expect(page.getByText(/Oggi (aperto|chiuso)/).first()).toBeVisible();
  await expect(page.getByText('Attenzione: puoi inserire solo una prenotazione per ogni tipo di sportello fino ad un massimo di tre.')).toBeVisible();
  await page.getByText('Servizi offerti').first().click();
  await accessibleBothSizes(page);
  await reachDay(page, 'Servizi veloci', ANONYMOUS, true);
  await accessibleBothSizes(page);
  const time = (await times(page).first().textContent())!.trim();
  await times(page).first().click();

  await expect(page.getByRole('heading', { level: 1, name: 'Riepilogo prenotazione' })).toBeVisible();
  await expect(page.getByText('ATTENZIONE! Conferma la prenotazione entro 5 minuti')).toBeVisible();
  await expect(page.getByText(/Tempo rimasto:\s*[45]:\d\d/)).toBeVisible();
  // The live region speaks now and then, not every second.
  await expect(page.getByRole('status').filter({ hasText: /Restano|^$/ }).first()).toBeAttached();
  await expect(page.getByText(time)).toBeVisible();
  // Without signing in and at a sede outside the pilot: no web meeting.
  await expect(page.getByRole('radio', { name: 'Web Meeting' })).toHaveCount(0);
  await accessibleBothSizes(page);
  await page.getByLabel('Scegli il servizio richiesto').selectOption({ label: 'Invio MAV' });
  await page.getByRole('radio', { name: 'Accesso in sede' }).check();
  await page.getByLabel('È possibile descrivere in breve il motivo della prenotazione').fill('Duplicato del MAV di novembre');
  await page.getByLabel('Numero di telefono cellulare').fill('333 1234567');
  await page.getByRole('button', { name: 'Conferma' }).click();

  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio prenotazione' })).toBeVisible();
  await expect(page.getByText('DNGNCL******273B')).toBeVisible();
  await expect(page.getByText('Invio MAV')).toBeVisible();
  await expect(page.getByText('Prenotato senza autenticazione')).toBeVisible();
  await accessibleBothSizes(page);

  // Le mie prenotazioni, on the same device.
  await page.getByRole('link', { name: 'Le mie prenotazioni' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Le mie prenotazioni' })).toBeVisible();
  await expect(page.getByText(`orario ${time}`)).toBeVisible();
  await accessibleBothSizes(page);
  await page.getByRole('link', { name: /^Leggi tutto/ }).click();
  await page.getByRole('button', { name: 'Cancella' }).click();
  await expect(page.getByText('Sei sicuro di voler procedere con la cancellazione?')).toBeVisible();
  await page.getByRole('button', { name: 'No' }).click();
  await expect(page.getByText('Sei sicuro di voler procedere con la cancellazione?')).toHaveCount(0);
  await page.getByRole('button', { name: 'Cancella' }).click();
  await page.getByRole('button', { name: 'Sì' }).click();
  await expect(page.getByText('La prenotazione è stata cancellata.')).toBeVisible();
  await page.getByRole('link', { name: 'Le mie prenotazioni' }).click();
  await expect(page.getByText('Nessuna prenotazione presente.')).toBeVisible();
});

async function citizenOn(browser: Browser, cf: string) {
  const context = await browser.newContext({ viewport: { width: 375, height: 667 } });
  const page = await context.newPage();
  await reachSede(page);
  await reachDay(page, 'Servizi veloci', cf);
  return { context, page };
}

test('two citizens race for one slot: exactly one holds it, the other reads why and gets another', async ({ browser }) => {
  const a = await citizenOn(browser, RACER_A);
  const b = await citizenOn(browser, RACER_B);
  const time = (await times(a.page).first().textContent())!.trim();
  await expect(times(b.page).first()).toHaveText(time);
  await Promise.all([times(a.page).first().click(), times(b.page).first().click()]);
  const heading = (p: Page) => p.getByRole('heading', { level: 1, name: 'Riepilogo prenotazione' });
  const refusal = (p: Page) => p.getByRole('alert').filter({ hasText: "L'orario scelto non è disponibile" });
  await expect.poll(async () => (await heading(a.page).count()) + (await heading(b.page).count())).toBe(1);
  const loser = (await heading(a.page).count()) ? b.page : a.page;
  await expect(refusal(loser)).toBeVisible();
  // The lost time is gone from the list; another is offered and can be held.
  await expect(times(loser).filter({ hasText: new RegExp(`^${time}$`) })).toHaveCount(0);
  await times(loser).first().click();
  await expect(heading(loser)).toBeVisible();
  await a.context.close();
  await b.context.close();
});

test('a hold left unconfirmed frees the slot after 5 minutes', async ({ browser, request }) => {
  const slow = await citizenOn(browser, SLOW);
  const day = await chosenDay(slow.page);
  const time = (await times(slow.page).first().textContent())!.trim();
  await times(slow.page).first().click();
  await expect(slow.page.getByText(/Tempo rimasto/)).toBeVisible();

  const late = await browser.newContext({ viewport: { width: 375, height: 667 } }).then(async (context) => ({ context, page: await context.newPage() }));
  await late.page.goto('/prenota/sede/3231');
  await reachDay(late.page, 'Servizi veloci', LATE, false, day);
  await expect(times(late.page).filter({ hasText: new RegExp(`^${time}$`) })).toHaveCount(0);
  // Five minutes pass on the service's clock.
  const admin = await tokenFor(request, 'sys.demo');
  const moved = await request.post('/api/v1/admin/clock', { headers: { Authorization: `Bearer ${admin}` }, data: { advance_seconds: 301 } });
  expect(moved.ok(), await moved.text()).toBeTruthy();
  await late.page.goto('/prenota/sede/3231');
  await reachDay(late.page, 'Servizi veloci', LATE, false, day);
  await expect(times(late.page).filter({ hasText: new RegExp(`^${time}$`) })).toHaveCount(1);

  // The first citizen confirms too late: told so in Italian, and offered to choose again.
  await slow.page.getByLabel('Numero di telefono cellulare').fill('3331234567');
  await slow.page.getByRole('button', { name: 'Conferma' }).click();
  await expect(slow.page.getByText(/più di 5 minuti/).first()).toBeVisible();
  await expect(slow.page.getByRole('link', { name: 'Scegli un altro orario' })).toBeVisible();
  await slow.context.close();
  await late.context.close();
});

test('a signed-in citizen books a web meeting at a pilot sede and sees it in Le mie prenotazioni', async ({ page, request }) => {
  await signInAs(page, request, 'cit.esposito');
  await expect(page.getByRole('heading', { level: 1, name: 'Descrizione del servizio' })).toBeVisible();
  // Roma is not in the pilot: no web meeting there even signed in.
  await reachSede(page, '3231');
  await reachDay(page, 'Reception', null);
  await times(page).first().click();
  await expect(page.getByRole('heading', { level: 1, name: 'Riepilogo prenotazione' })).toBeVisible();
  await expect(page.getByRole('radio', { name: 'Web Meeting' })).toHaveCount(0);

  // Napoli pilots it.
  const sedi = await request.get('/api/v1/places/provinces/NA/sedi?municipality=063049');
  const napoli = ((await sedi.json()) as { code: string; web_meeting: boolean }[])[0]!;
  expect(napoli.web_meeting).toBe(true);
  await reachSede(page, napoli.code, 'CAM', 'NA', '063049');
  await reachDay(page, 'Servizi veloci', null);
  await times(page).first().click();
  // Bootstrap Italia draws the radio in its label, which takes the click as a user's finger does.
  await page.getByText('Web Meeting', { exact: true }).click();
  await expect(page.getByRole('radio', { name: 'Web Meeting' })).toBeChecked();
  await page.getByLabel('Indirizzo e-mail').fill('rosa.esposito@example.it');
  await accessibleBothSizes(page);
  await page.getByRole('button', { name: 'Conferma' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dettaglio prenotazione' })).toBeVisible();
  await expect(page.getByText('Web Meeting', { exact: true })).toBeVisible();
  await expect(page.getByText('SPSRSO******839M')).toBeVisible();
  await page.getByRole('link', { name: 'Le mie prenotazioni' }).click();
  await expect(page.getByText('Prenotato con autenticazione')).toBeVisible();
  await accessibleBothSizes(page);
});
