import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthProvider, useAuth } from '../../auth/AuthContext';
import { saveSession } from '../../auth/session';
import { DettaglioSede, GONE_MESSAGE } from './DettaglioSede';

// The sprite's URL import is Vite's, not Node's: the icon is decoration here.
vi.mock('../../components/Icon', () => ({ Icon: () => null }));

const ID = '01a24fb7-cec6-763e-a39e-06767f1ab4f3';
const ME = { id: 'uff.bianchi', role: 'sede_officer', role_label: 'Funzionario di sede', active_profile: 'sede', profiles: [], expires_at: '2099-01-01T00:00:00Z', sede: { code: '3201', name: 'Roma Flaminio' } };

function detail(status: string, actions: { action: string; allowed: boolean; message?: string }[]) {
  return {
    request: {
      request_id: ID, protocol: 'INPS.3201.2026.0000001', subject: 'Requisiti – NASpI', sent_at: '2026-12-07T09:00:00Z', status,
      topic_label: 'Requisiti', current_sede: '3201', origin_sede: '3201', forwards: 0, version: 1, patronato: 'INCA', office: 'RM1',
      requester_kind: 'citizen', codice_fiscale: 'RSSMRA60E12H501E', solleciti: 0, appointment_enabled: false,
      in_charge_by: status === 'inoltrata' ? null : 'uff.bianchi',
    },
    patronato_name: 'Patronato INCA CGIL', office_name: 'INCA Roma Esquilino',
    in_charge_by_name: status === 'inoltrata' ? null : 'Stefano Bianchi',
    status_label: status === 'inoltrata' ? 'Inoltrata' : 'Presa in carico',
    current_sede_name: 'Roma Flaminio', origin_sede_name: 'Roma Flaminio', interactions_left: 2, attachments: [], appointment: null,
    next_actions: actions,
  };
}

type Handler = (req: Request) => { status: number; body: unknown };

function serve(handler: Handler) {
  const fetch = vi.fn(async (req: Request) => {
    if (req.url.endsWith('/api/v1/me')) return new Response(JSON.stringify(ME), { status: 200, headers: { 'Content-Type': 'application/json' } });
    const { status, body } = handler(req);
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json' } });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

function Gate() {
  const { me } = useAuth();
  return me ? <DettaglioSede /> : null;
}

function show() {
  saveSession({ token: 't', expiresAt: '', userId: 'uff.bianchi' });
  render(
    <AuthProvider>
      <MemoryRouter initialEntries={[`/sede/richieste/${ID}`]}>
        <Routes>
          <Route path="/sede/richieste/:id" element={<Gate />} />
          <Route path="/sede/richieste" element={<p>Inbox</p>} />
        </Routes>
      </MemoryRouter>
    </AuthProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('Dettaglio e risposta', () => {
  it('says clearly that a request of another sede is not here', async () => {
    serve(() => ({ status: 404, body: { type: 'x', title: 'Not Found', status: 404, code: 'not_found', detail: 'Richiesta non trovata' } }));
    show();
    expect(await screen.findByText(GONE_MESSAGE)).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Torna alle Richieste in arrivo' })).toBeTruthy();
  });

  it('offers the API’s actions, with the reason of those not possible, and re-reads after a command', async () => {
    let taken = false;
    const fetch = serve((req) => {
      const url = new URL(req.url);
      if (req.method === 'POST' && url.pathname.endsWith('/take-in-charge')) {
        taken = true;
        return { status: 200, body: { request_id: ID, position: 42, version: 2 } };
      }
      if (url.pathname.endsWith('/timeline')) return { status: 200, body: [] };
      return {
        status: 200,
        body: taken
          ? detail('presa_in_carico', [{ action: 'take_in_charge', allowed: false, message: 'Richiesta già presa in carico' }])
          : detail('inoltrata', [
            { action: 'take_in_charge', allowed: true },
            { action: 'close', allowed: false, message: 'Si può chiudere solo dopo una risposta' },
          ]),
      };
    });
    show();
    const take = await screen.findByRole('button', { name: 'Prendi in carico' });
    expect((take as HTMLButtonElement).disabled).toBe(false);
    const close = screen.getByRole('button', { name: 'Chiudi conversazione' }) as HTMLButtonElement;
    expect(close.disabled).toBe(true);
    expect(screen.getByText('Si può chiudere solo dopo una risposta')).toBeTruthy();
    // An action the API does not list is not possible either.
    expect((screen.getByRole('button', { name: 'Inoltra ad altra sede' }) as HTMLButtonElement).disabled).toBe(true);

    await userEvent.click(take);
    expect(await screen.findByText('Richiesta presa in carico.')).toBeTruthy();
    const post = fetch.mock.calls.map((c) => c[0]).find((r) => r.method === 'POST')!;
    expect(post.headers.get('Idempotency-Key')).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(() => {
      const reread = fetch.mock.calls.map((c) => new URL(c[0].url)).filter((u) => u.pathname === `/api/v1/requests/${ID}`);
      expect(reread.at(-1)!.searchParams.get('min_position')).toBe('42');
    });
    expect(await screen.findByText('Richiesta già presa in carico')).toBeTruthy();
    // Names, not codes: the sender's patronato and office, and who took it in charge.
    expect(screen.getByText('Patronato INCA CGIL – INCA Roma Esquilino')).toBeTruthy();
    expect(screen.getByText('Stefano Bianchi')).toBeTruthy();
    expect(screen.queryByText('uff.bianchi')).toBeNull();
  });
});
