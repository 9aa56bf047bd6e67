import type { APIRequestContext, Page } from '@playwright/test';
import { expect, SEDE_OFFICERS } from './fixtures';

export { SEDE_OFFICERS };

/**
 * Signs a demo user in through the dev session API (what the Accesso page calls), straight into
 * the browser's session, then opens the app's home.
 */
export async function signInAs(page: Page, request: APIRequestContext, userId: string) {
  const res = await request.post('/api/v1/dev/session', { data: { user_id: userId } });
  expect(res.ok(), await res.text()).toBeTruthy();
  const t = (await res.json()) as { token: string; expires_at: string };
  await page.goto('/accesso');
  await page.evaluate(([token, expiresAt, id]) => {
    sessionStorage.setItem('combipat.session', JSON.stringify({ token, expiresAt, userId: id }));
  }, [t.token, t.expires_at, userId] as const);
  await page.goto('/');
}

/** The sede that has a request now. */
export async function currentSede(request: APIRequestContext, token: string, requestId: string, position: number): Promise<string> {
  const res = await request.get(`/api/v1/requests/${requestId}?min_position=${position}`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.ok(), await res.text()).toBeTruthy();
  return ((await res.json()) as { request: { current_sede: string } }).request.current_sede;
}

/** An anonymous citizen books the first free slot of a counter, through the API; returns the booking. */
export async function bookFirstFreeSlot(request: APIRequestContext, sede: string, counter: string, codiceFiscale: string) {
  const month = (offset: number) => {
    const d = new Date();
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + offset);
    return d.toISOString().slice(0, 7);
  };
  for (const offset of [0, 1, 2]) {
    const cal = await request.get(`/api/v1/sedi/${sede}/counters/${counter}/calendar?month=${month(offset)}`);
    expect(cal.ok(), await cal.text()).toBeTruthy();
    const days = ((await cal.json()) as { days: { date: string; availability: string }[] }).days ?? [];
    for (const day of days.filter((d) => d.availability === 'available')) {
      const slots = await request.get(`/api/v1/sedi/${sede}/counters/${counter}/slots?date=${day.date}`);
      const list = ((await slots.json()) as { slots: { start: string }[] }).slots;
      if (!list.length) continue;
      const hold = await request.post(`/api/v1/sedi/${sede}/counters/${counter}/holds`, {
        data: { start: list[0]!.start, codice_fiscale: codiceFiscale },
      });
      expect(hold.ok(), await hold.text()).toBeTruthy();
      const holdId = ((await hold.json()) as { hold_id: string }).hold_id;
      const conf = await request.post(`/api/v1/holds/${holdId}/confirmation`, {
        data: { mode: 'in_presenza', mobile: '3331234567', codice_fiscale: codiceFiscale, reason: 'Informazioni sulla pensione' },
      });
      expect(conf.ok(), await conf.text()).toBeTruthy();
      return (await conf.json()) as { booking_id: string; code: string; slot: { date: string; time: string } };
    }
  }
  throw new Error(`no free slot at ${sede}/${counter} in three months`);
}
