import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import { ApiError } from '../api/problem';
import { ErrorAlert } from './ErrorAlert';

describe('ErrorAlert', () => {
  it("shows the API's Italian detail as an alert, without the status", () => {
    render(<ErrorAlert error={new ApiError(422, 'interactions_exhausted', 'Hai già usato le 2 interazioni disponibili')} />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('Hai già usato le 2 interazioni disponibili');
    expect(alert.textContent).not.toContain('422');
  });
  it('adds when the action becomes possible if the detail lacks it', () => {
    render(<ErrorAlert error={new ApiError(422, 'appointment_not_eligible', 'Appuntamento non prenotabile', '2026-12-08T09:31:00Z')} />);
    expect(screen.getByRole('alert').textContent).toBe('Appuntamento non prenotabile (possibile dal 08/12/2026 alle 10:31)');
  });
  it('takes the focus when asked (after a submit)', () => {
    render(<ErrorAlert focus error={new ApiError(0, 'network', 'Il servizio non è raggiungibile.')} />);
    expect(document.activeElement).toBe(screen.getByRole('alert'));
  });
  it('renders nothing without an error', () => {
    const { container } = render(<ErrorAlert error={null} />);
    expect(container.innerHTML).toBe('');
  });
});
