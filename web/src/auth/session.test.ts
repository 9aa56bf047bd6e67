import { describe, expect, it } from 'vitest';
import { clearDrafts, clearSession, loadDraft, loadSession, saveDraft, saveSession } from './session';

describe('session and drafts', () => {
  it('keeps a draft when the session ends (expiry)', () => {
    saveSession({ token: 't', expiresAt: '2026-12-08T10:00:00Z', userId: 'op.rossi' });
    saveDraft('op.rossi', 'message.1', 'testo in corso');
    clearSession();
    expect(loadSession()).toBeNull();
    expect(loadDraft('op.rossi', 'message.1')).toBe('testo in corso');
  });
  it("forgets only the signing-out user's drafts", () => {
    saveDraft('op.rossi', 'a', 1);
    saveDraft('op.ferri', 'a', 2);
    clearDrafts('op.rossi');
    expect(loadDraft('op.rossi', 'a')).toBeNull();
    expect(loadDraft('op.ferri', 'a')).toBe(2);
  });
});
