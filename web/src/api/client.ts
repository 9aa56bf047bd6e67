import createClient, { type Middleware } from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, problemToError, toApiError } from './problem';
import { loadSession } from '../auth/session';

export type Paths = paths;

type Listener = () => void;
const expiredListeners = new Set<Listener>();

/** Called when the API answers 401 to a signed-in user (the auth provider signs them out). */
export function onSessionExpired(l: Listener): () => void {
  expiredListeners.add(l);
  return () => expiredListeners.delete(l);
}

/** For calls outside openapi-fetch (an upload through XHR for its progress): the same 401 handling. */
export function notifySessionExpired(): void {
  expiredListeners.forEach((l) => l());
}

const auth: Middleware = {
  onRequest({ request }) {
    const s = loadSession();
    if (s && !request.headers.has('Authorization')) request.headers.set('Authorization', `Bearer ${s.token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && request.headers.has('Authorization')) notifySessionExpired();
    return response;
  },
};

function baseUrl(): string {
  // Same origin as the app; openapi-fetch needs an absolute base under Node (tests).
  return typeof window !== 'undefined' && window.location?.origin && window.location.origin !== 'null'
    ? window.location.origin
    : 'http://localhost';
}

export const api = createClient<Paths>({
  baseUrl: baseUrl(),
  // Looked up per call so that tests can replace globalThis.fetch.
  fetch: (r: Request) => globalThis.fetch(r),
});
api.use(auth);

interface Result<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of a successful call, or an ApiError with the Italian message. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let res: Result<T>;
  try {
    res = await call;
  } catch (e) {
    throw toApiError(e);
  }
  if (res.response.ok) return res.data as T;
  throw problemToError(res.response.status, res.error);
}

/**
 * A short-lived URL for a GET path that a plain link must open (printable summary, attachment,
 * .ics, CSV): a bearer header cannot ride on `<a href>`.
 */
export async function signedUrl(path: string): Promise<string> {
  const link = await unwrap(api.POST('/api/v1/links', { body: { path } }));
  return link.url;
}

export { ApiError };
