// crypto.randomUUID exists only in secure contexts; a LAN address over http is not one.
export function uuid(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The Idempotency-Key of one user action: the same key while the input is the same (a retry
 * after a timeout replays the first answer instead of acting twice), a new one when the input
 * changes (the API refuses a key reused with another input) or after a success.
 */
export class IdempotencyKeys {
  private input: string | null = null;
  private key = '';

  keyFor(input: unknown): string {
    const json = JSON.stringify(input ?? null);
    if (json !== this.input) {
      this.input = json;
      this.key = uuid();
    }
    return this.key;
  }

  done(): void {
    this.input = null;
  }
}
