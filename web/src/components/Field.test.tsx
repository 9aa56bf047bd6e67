import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { Field } from './Field';

describe('Field', () => {
  it('is a labelled text input by default (Bootstrap Italia styles inputs by their type)', () => {
    render(<Field label="Numero di protocollo" hint="Per esempio INPS.3201.2026.0000001" />);
    const input = screen.getByLabelText('Numero di protocollo');
    expect(input.getAttribute('type')).toBe('text');
    expect(input.getAttribute('aria-describedby')).toBeTruthy();
    expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toBe('Per esempio INPS.3201.2026.0000001');
  });
  it('keeps an explicit type', () => {
    render(<Field label="Data" type="date" />);
    expect(screen.getByLabelText('Data').getAttribute('type')).toBe('date');
  });
});
