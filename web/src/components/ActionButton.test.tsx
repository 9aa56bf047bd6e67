import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { ActionButton, actionReason } from './ActionButton';

describe('ActionButton', () => {
  it("is disabled with the API's Italian reason, tied to the button", () => {
    const onClick = vi.fn();
    render(
      <ActionButton onClick={onClick}
        action={{ action: 'send_sollecito', allowed: false, code: 'sollecito_too_early', message: 'Sollecito possibile dal 08/12 alle 10:31', available_from: '2026-12-08T09:31:00Z' }}>
        Sollecita
      </ActionButton>,
    );
    const button = screen.getByRole('button', { name: 'Sollecita' });
    expect(button).toHaveProperty('disabled', true);
    expect(button.getAttribute('aria-describedby')).toBeTruthy();
    const reason = document.getElementById(button.getAttribute('aria-describedby')!);
    expect(reason?.textContent).toBe('Sollecito possibile dal 08/12 alle 10:31');
    fireEvent.click(button);
    expect(onClick).not.toHaveBeenCalled();
  });

  it('adds the date (Europe/Rome) when the reason does not say it', () => {
    expect(actionReason({ action: 'book_appointment', allowed: false, message: 'Appuntamento non ancora prenotabile', available_from: '2026-12-08T09:31:00Z' }))
      .toBe('Appuntamento non ancora prenotabile (possibile dal 08/12/2026 alle 10:31)');
  });

  it('is enabled when the API allows it, and shows its note', () => {
    const onClick = vi.fn();
    render(
      <ActionButton onClick={onClick} action={{ action: 'send_message', allowed: true, message: 'interazioni residue: 1 di 2' }}>
        Invia
      </ActionButton>,
    );
    const button = screen.getByRole('button', { name: 'Invia' });
    expect(button).toHaveProperty('disabled', false);
    fireEvent.click(button);
    expect(onClick).toHaveBeenCalledOnce();
    expect(screen.getByText('interazioni residue: 1 di 2')).toBeTruthy();
  });

  it('is disabled when the API does not list the action at all', () => {
    render(<ActionButton onClick={() => {}} action={undefined}>Sollecita</ActionButton>);
    expect(screen.getByRole('button', { name: 'Sollecita' })).toHaveProperty('disabled', true);
    expect(screen.getByText('Azione non disponibile per questa richiesta.')).toBeTruthy();
  });
});
