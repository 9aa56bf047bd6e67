import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider } from '../auth/AuthContext';
import { Accesso } from './Accesso';

vi.mock('../components/Icon', () => ({ Icon: () => null }));

const DEMO = [{ id: 'op.rossi', display_name: 'Laura Rossi', role: 'operator', role_label: 'Operatore di patronato', scope_label: 'INCA' }];

function serve(config: unknown) {
  const fetch = vi.fn(async (req: Request) => {
    const body = req.url.endsWith('/api/v1/config') ? config : req.url.endsWith('/api/v1/dev/users') ? DEMO : null;
    return new Response(JSON.stringify(body), { status: body ? 200 : 404, headers: { 'Content-Type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

function show() {
  render(
    <AuthProvider>
      <MemoryRouter initialEntries={['/accesso']}>
        <Accesso />
      </MemoryRouter>
    </AuthProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('Accesso', () => {
  it('offers the identity provider only when the service has one', async () => {
    serve({ dev_login: true });
    show();
    expect(await screen.findByRole('button', { name: /^Accedi come Laura Rossi/ })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Entra con SPID o CIE' })).toBeNull();
  });

  it('shows the provider’s button beside the demo users, and asks for no demo user when they are off', async () => {
    const fetch = serve({ dev_login: false, oidc: { issuer: 'https://idp.example', client_id: 'combipat-web', scopes: 'openid profile' } });
    show();
    expect(await screen.findByRole('button', { name: 'Entra con SPID o CIE' })).toBeTruthy();
    expect(screen.queryByRole('heading', { name: 'Utenti di prova' })).toBeNull();
    expect(fetch.mock.calls.some(([r]) => (r as Request).url.endsWith('/dev/users'))).toBe(false);
  });
});
