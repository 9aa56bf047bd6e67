import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { StatusBadge } from './StatusBadge';

describe('StatusBadge', () => {
  it("prefers the API's label, falls back to the documented status names", () => {
    render(<><StatusBadge status="chiusa" label="Chiusa dalla sede" /><StatusBadge status="risposta_ricevuta" /></>);
    expect(screen.getByText('Chiusa dalla sede')).toBeTruthy();
    expect(screen.getByText('Risposta ricevuta')).toBeTruthy();
  });
});
