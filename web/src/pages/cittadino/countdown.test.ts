import { describe, expect, it } from 'vitest';
import { announcement, clock } from './countdown';

describe('hold countdown', () => {
  it('shows minutes and seconds', () => {
    expect(clock(300_000)).toBe('5:00');
    expect(clock(245_001)).toBe('4:06');
    expect(clock(-5)).toBe('0:00');
  });
  it('speaks once a minute, at 30 and 10 seconds, and at the end only', () => {
    const spoken = Array.from({ length: 301 }, (_, i) => announcement(300 - i)).filter(Boolean);
    expect(spoken).toHaveLength(8);
    expect(announcement(120)).toBe('Restano 2 minuti per confermare la prenotazione.');
    expect(announcement(60)).toBe('Resta 1 minuto per confermare la prenotazione.');
    expect(announcement(59)).toBeNull();
    expect(announcement(0)).toMatch(/scaduto/);
  });
});
