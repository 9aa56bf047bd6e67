import { afterEach, describe, expect, it, vi } from 'vitest';
import { api, onSessionExpired, unwrap } from './client';
import { saveSession } from '../auth/session';
import { NETWORK_MESSAGE } from './problem';

function respond(status: number, body: unknown, type = 'application/problem+json') {
  return vi.fn(async (_req: Request) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': type } }));
}

afterEach(() => vi.unstubAllGlobals());

describe('api client', () => {
  it('sends the bearer token of the session', async () => {
    saveSession({ token: 'tok-1', expiresAt: '', userId: 'op.rossi' });
    const fetch = respond(200, { count: 0, items: [] }, 'application/json');
    vi.stubGlobal('fetch', fetch);
    await unwrap(api.GET('/api/v1/home/recent-replies'));
    expect(fetch.mock.calls[0]![0].headers.get('Authorization')).toBe('Bearer tok-1');
  });

  it("throws the problem's Italian detail", async () => {
    vi.stubGlobal('fetch', respond(422, { type: 'x', title: 't', status: 422, code: 'text_required', detail: 'Il testo è obbligatorio' }));
    await expect(unwrap(api.GET('/api/v1/topics'))).rejects.toMatchObject({ code: 'text_required', message: 'Il testo è obbligatorio' });
  });

  it('signs out on 401 of a signed-in call', async () => {
    saveSession({ token: 'old', expiresAt: '', userId: 'op.rossi' });
    vi.stubGlobal('fetch', respond(401, { type: 'x', title: 't', status: 401, code: 'token_expired', detail: 'Sessione scaduta' }));
    const expired = vi.fn();
    const off = onSessionExpired(expired);
    await expect(unwrap(api.GET('/api/v1/topics'))).rejects.toMatchObject({ status: 401 });
    off();
    expect(expired).toHaveBeenCalledOnce();
  });

  it('turns a network failure into the Italian network message', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => { throw new TypeError('Failed to fetch'); }));
    await expect(unwrap(api.GET('/api/v1/topics'))).rejects.toMatchObject({ message: NETWORK_MESSAGE });
  });
});
