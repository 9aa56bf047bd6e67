import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, onSessionExpired, unwrap } from '../api/client';
import type { Me, SessionToken } from '../api/types';
import { SESSION_EXPIRED_MESSAGE, type ApiError, toApiError } from '../api/problem';
import { clearDrafts, clearSession, loadSession, saveSession, setFlash } from './session';

interface AuthState {
  /** null before sign-in; undefined while /me loads. */
  me: Me | null | undefined;
  meError: ApiError | null;
  signIn: (userId: string, token: SessionToken) => Promise<Me>;
  /** A referent's chosen profile: a new token for it. */
  adoptToken: (token: SessionToken) => Promise<Me>;
  signOut: () => void;
}

const Ctx = createContext<AuthState | null>(null);

export function useAuth(): AuthState {
  const c = useContext(Ctx);
  if (!c) throw new Error('useAuth outside AuthProvider');
  return c;
}

/** The signed-in user; only inside pages behind RequireAuth. */
export function useMe(): Me {
  const { me } = useAuth();
  if (!me) throw new Error('useMe without a user');
  return me;
}

async function fetchMe(): Promise<Me> {
  return unwrap(api.GET('/api/v1/me'));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [me, setMe] = useState<Me | null | undefined>(() => (loadSession() ? undefined : null));
  const [meError, setMeError] = useState<ApiError | null>(null);

  useEffect(() => {
    if (me !== undefined) return;
    let live = true;
    fetchMe().then(
      (m) => live && setMe(m),
      (e) => {
        if (!live) return;
        const err = toApiError(e);
        if (err.status === 401) return; // the expiry listener signs out
        setMeError(err);
      },
    );
    return () => {
      live = false;
    };
  }, [me]);

  useEffect(
    () =>
      onSessionExpired(() => {
        // Drafts stay: the user signs in again and finds them.
        clearSession();
        setFlash(SESSION_EXPIRED_MESSAGE);
        setMe(null);
      }),
    [],
  );

  const adoptToken = useCallback(async (token: SessionToken) => {
    const userId = loadSession()?.userId ?? '';
    saveSession({ token: token.token, expiresAt: token.expires_at, userId });
    const m = await fetchMe();
    saveSession({ token: token.token, expiresAt: token.expires_at, userId: m.id });
    setMeError(null);
    setMe(m);
    return m;
  }, []);

  const signIn = useCallback(
    async (userId: string, token: SessionToken) => {
      saveSession({ token: token.token, expiresAt: token.expires_at, userId });
      return adoptToken(token);
    },
    [adoptToken],
  );

  const signOut = useCallback(() => {
    const s = loadSession();
    if (s) clearDrafts(s.userId);
    clearSession();
    setMe(null);
  }, []);

  const value = useMemo(() => ({ me, meError, signIn, adoptToken, signOut }), [me, meError, signIn, adoptToken, signOut]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}
