// Every failure the UI shows is an ApiError with an Italian message: the API's `detail` when it
// sent a problem+json, otherwise one of the messages below — never a raw status.
export interface ProblemBody {
  code: string;
  detail: string;
  status?: number;
  available_from?: string | null;
}

export const NETWORK_MESSAGE = 'Il servizio non è raggiungibile. Controlla la connessione e riprova.';
export const UNEXPECTED_MESSAGE = 'Si è verificato un errore imprevisto. Riprova tra qualche minuto.';
export const SESSION_EXPIRED_MESSAGE = 'La sessione è scaduta, accedi di nuovo';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly availableFrom: string | null;

  constructor(status: number, code: string, message: string, availableFrom: string | null = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.availableFrom = availableFrom;
  }
}

function isProblem(body: unknown): body is ProblemBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.code === 'string' && typeof b.detail === 'string' && b.detail.trim() !== '';
}

/** The error of a failed response: its problem body when it has one. */
export function problemToError(status: number, body: unknown): ApiError {
  if (isProblem(body)) {
    return new ApiError(status, body.code, body.detail, body.available_from ?? null);
  }
  if (status === 401) return new ApiError(401, 'token_invalid', SESSION_EXPIRED_MESSAGE);
  if (status === 404) return new ApiError(404, 'not_found', 'La risorsa richiesta non esiste o non è visibile con il tuo profilo.');
  if (status === 503) return new ApiError(503, 'not_ready', 'Il servizio è momentaneamente sovraccarico. Riprova tra qualche secondo.');
  return new ApiError(status, 'unexpected', UNEXPECTED_MESSAGE);
}

/** Any thrown value as the message the user reads. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  // fetch rejects with a TypeError when the network or the server is down.
  return new ApiError(0, 'network', NETWORK_MESSAGE);
}
