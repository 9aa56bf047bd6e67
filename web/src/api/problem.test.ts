import { describe, expect, it } from 'vitest';
import { ApiError, NETWORK_MESSAGE, SESSION_EXPIRED_MESSAGE, UNEXPECTED_MESSAGE, problemToError, toApiError } from './problem';

describe('problemToError', () => {
  it("keeps the API's Italian detail, code and date", () => {
    const e = problemToError(422, {
      type: 'urn:combipat:problem:sollecito_too_early', title: 'Unprocessable Entity', status: 422,
      code: 'sollecito_too_early', detail: 'Sollecito possibile dal 08/12 alle 10:31', available_from: '2026-12-08T09:31:00Z',
    });
    expect(e.message).toBe('Sollecito possibile dal 08/12 alle 10:31');
    expect(e.code).toBe('sollecito_too_early');
    expect(e.availableFrom).toBe('2026-12-08T09:31:00Z');
  });
  it('never shows a raw status when the body is not a problem', () => {
    for (const status of [500, 502, 418]) {
      const e = problemToError(status, '<html>Bad Gateway</html>');
      expect(e.message).toBe(UNEXPECTED_MESSAGE);
      expect(e.message).not.toContain(String(status));
    }
    expect(problemToError(401, undefined).message).toBe(SESSION_EXPIRED_MESSAGE);
  });
  it('treats an empty detail as no problem body', () => {
    expect(problemToError(500, { code: 'x', detail: '  ' }).message).toBe(UNEXPECTED_MESSAGE);
  });
});

describe('toApiError', () => {
  it('turns a failed fetch into the network message', () => {
    expect(toApiError(new TypeError('Failed to fetch')).message).toBe(NETWORK_MESSAGE);
  });
  it('passes an ApiError through', () => {
    const e = new ApiError(404, 'not_found', 'Richiesta non trovata');
    expect(toApiError(e)).toBe(e);
  });
});
