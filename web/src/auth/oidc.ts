// Signing in with the identity provider (OpenID Connect, authorization code + PKCE) through
// oidc-client-ts, loaded only when the user goes that way (decision W19). The provider's access
// token becomes the app's session like a demo token (W2: sessionStorage, bearer header); the
// library's own copy of the user is removed at once, so that the session has one place to live.
import type { UserManager } from 'oidc-client-ts';
import type { components } from '../api/schema';

export type ProviderSettings = components['schemas']['BrowserSignIn'];

export const CALLBACK_PATH = '/accesso/callback';

async function manager(p: ProviderSettings): Promise<UserManager> {
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  const store = new WebStorageStateStore({ store: window.sessionStorage, prefix: 'combipat.oidc.' });
  return new UserManager({
    authority: p.issuer,
    client_id: p.client_id,
    redirect_uri: `${window.location.origin}${CALLBACK_PATH}`,
    response_type: 'code',
    scope: p.scopes,
    userStore: store,
    stateStore: store,
    // No iframes (the CSP allows none) and nothing beyond the token exchange.
    monitorSession: false,
    automaticSilentRenew: false,
    loadUserInfo: false,
  });
}

/** Leaves for the provider's sign-in; `from` is where to go back after it. */
export async function startProviderSignIn(p: ProviderSettings, from?: string): Promise<void> {
  await (await manager(p)).signinRedirect({ state: { from } });
}

export interface ProviderSession {
  token: string;
  expiresAt: string;
  userId: string;
  from?: string;
}

/** Finishes the flow on the callback page: the code exchanged for the tokens (with the PKCE verifier). */
export async function finishProviderSignIn(p: ProviderSettings): Promise<ProviderSession> {
  const m = await manager(p);
  const user = await m.signinRedirectCallback();
  await m.removeUser();
  const expiresAt = user.expires_at ? new Date(user.expires_at * 1000).toISOString() : new Date().toISOString();
  const state = (user.state ?? {}) as { from?: string };
  return { token: user.access_token, expiresAt, userId: user.profile.sub, from: state.from };
}
