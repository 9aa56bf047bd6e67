// The bearer token lives in sessionStorage (decision W2 in docs/decisions.md): no ambient
// credential, so no CSRF; the strict CSP is the defence against script injection; it ends with
// the tab. Drafts live in sessionStorage too, keyed by user, and survive an expired session.
const KEY = 'combipat.session';
const FLASH = 'combipat.flash';

export interface Session {
  token: string;
  expiresAt: string;
  userId: string;
}

function storage(): Storage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

export function loadSession(): Session | null {
  const raw = storage()?.getItem(KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as Session;
    if (typeof s.token !== 'string' || typeof s.userId !== 'string') return null;
    return s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session): void {
  storage()?.setItem(KEY, JSON.stringify(s));
}

export function clearSession(): void {
  storage()?.removeItem(KEY);
}

/** A one-time message for the sign-in page (e.g. "La sessione è scaduta"). */
export function setFlash(message: string): void {
  storage()?.setItem(FLASH, message);
}

export function peekFlash(): string | null {
  return storage()?.getItem(FLASH) ?? null;
}

export function clearFlash(): void {
  storage()?.removeItem(FLASH);
}

const draftKey = (userId: string, name: string) => `combipat.draft.${userId}.${name}`;

export function loadDraft<T>(userId: string, name: string): T | null {
  const raw = storage()?.getItem(draftKey(userId, name));
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}

export function saveDraft(userId: string, name: string, value: unknown): void {
  storage()?.setItem(draftKey(userId, name), JSON.stringify(value));
}

export function clearDraft(userId: string, name: string): void {
  storage()?.removeItem(draftKey(userId, name));
}

/** Signing out on purpose forgets the user's drafts (a shared computer keeps nothing). */
export function clearDrafts(userId: string): void {
  const s = storage();
  if (!s) return;
  const prefix = `combipat.draft.${userId}.`;
  for (let i = s.length - 1; i >= 0; i--) {
    const k = s.key(i);
    if (k?.startsWith(prefix)) s.removeItem(k);
  }
}
