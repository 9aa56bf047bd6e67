import { describe, expect, it } from 'vitest';
import { IdempotencyKeys, uuid } from './ids';

describe('IdempotencyKeys', () => {
  it('reuses the key for a retry of the same input', () => {
    const k = new IdempotencyKeys();
    const a = k.keyFor({ text: 'ciao', attachments: [] });
    expect(k.keyFor({ text: 'ciao', attachments: [] })).toBe(a);
  });
  it('draws a new key when the input changes or after a success', () => {
    const k = new IdempotencyKeys();
    const a = k.keyFor({ text: 'ciao' });
    const b = k.keyFor({ text: 'ciao!' });
    expect(b).not.toBe(a);
    k.done();
    expect(k.keyFor({ text: 'ciao!' })).not.toBe(b);
  });
  it('makes version-4 uuids', () => {
    expect(uuid()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
