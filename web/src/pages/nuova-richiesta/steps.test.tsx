import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { ApiError } from '../../api/problem';
import { EMPTY_FORM, EMPTY_SEARCH, type Topic } from './model';
import { ConfermaUtente, Individuazione } from './StepCittadino';
import { Compilazione } from './StepCompilazione';

// Vitest's alias of bootstrap-italia (vite.config.ts) hides the sprite's subpath; the icon is decoration here.
vi.mock('../../components/Icon', () => ({ Icon: () => null }));

const TOPICS: Topic[] = [
  { code: 'sollecito_domanda', label: 'Sollecito domanda già presentata', audience: 'operator', requires_practice_ref: true, subtopics: [{ code: 'naspi', label: 'NASpI' }] },
  { code: 'requisiti_accesso', label: 'Requisiti e modalità di accesso ai servizi', audience: 'both', requires_practice_ref: false, subtopics: [] },
];

describe('Individuazione cittadino', () => {
  it('enables Continua once the codice fiscale is filled in', () => {
    const onSearch = vi.fn();
    const { rerender } = render(<Individuazione search={EMPTY_SEARCH} onSearch={onSearch} onFound={() => {}} error={null} />);
    expect(screen.getByRole('button', { name: 'Continua' })).toHaveProperty('disabled', true);
    fireEvent.change(screen.getByLabelText('Codice fiscale', { selector: 'input[type=text], input:not([type])' }), { target: { value: 'rssmra60e12h501e' } });
    expect(onSearch).toHaveBeenCalledWith({ ...EMPTY_SEARCH, codiceFiscale: 'RSSMRA60E12H501E' });
    rerender(<Individuazione search={{ ...EMPTY_SEARCH, codiceFiscale: 'RSSMRA60E12H501E' }} onSearch={onSearch} onFound={() => {}} error={null} />);
    expect(screen.getByRole('button', { name: 'Continua' })).toHaveProperty('disabled', false);
  });

  it('shows a refusal by the field, linked and marked invalid', () => {
    render(<Individuazione search={{ ...EMPTY_SEARCH, codiceFiscale: 'RSSMRA60E12H501X' }} onSearch={() => {}} onFound={() => {}}
      error={new ApiError(400, 'cf_checksum', 'Il carattere di controllo del codice fiscale non è corretto')} />);
    const input = screen.getByLabelText('Codice fiscale', { selector: 'input:not([type=radio])' });
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(input.getAttribute('aria-describedby')!)?.textContent).toBe('Il carattere di controllo del codice fiscale non è corretto');
    expect(screen.getByRole('alert').textContent).toContain('codice fiscale');
  });
});

describe('Conferma utente', () => {
  it('needs the delega to continue', () => {
    const citizen = { codice_fiscale: 'RSSMRA60E12H501E', surname: 'Rossi', name: 'Mario', birth_date: '1960-05-12', birth_place: 'Roma', cap: '00184' };
    const onNext = vi.fn();
    const { rerender } = render(<ConfermaUtente citizen={citizen} mandate={false} onMandate={() => {}} onBack={() => {}} onNext={onNext} error={null} />);
    expect(screen.getByRole('button', { name: 'Continua' })).toHaveProperty('disabled', true);
    expect(screen.getByText('RSSMRA60E12H501E')).toBeTruthy();
    rerender(<ConfermaUtente citizen={citizen} mandate onMandate={() => {}} onBack={() => {}} onNext={onNext} error={null} />);
    fireEvent.click(screen.getByRole('button', { name: 'Continua' }));
    expect(onNext).toHaveBeenCalledOnce();
  });
});

describe('Compilazione richiesta', () => {
  const props = { topics: TOPICS, onChange: () => {}, busy: false, onNext: () => {} };

  it('asks for the practice reference only for a topic that needs one', () => {
    const { rerender } = render(<Compilazione {...props} form={{ ...EMPTY_FORM, topic: 'requisiti_accesso' }} errors={{}} />);
    expect(screen.queryByLabelText('Riferimento della pratica')).toBeNull();
    rerender(<Compilazione {...props} form={{ ...EMPTY_FORM, topic: 'sollecito_domanda' }} errors={{}} />);
    expect(screen.getByLabelText('Riferimento della pratica')).toBeTruthy();
    expect(screen.getByLabelText('Tipo di riferimento')).toBeTruthy();
  });

  it("shows fig. 10's refusal at the practice reference, with the API's detail", () => {
    const detail = 'Il riferimento della pratica inserito non risulta associato al codice fiscale del cittadino';
    render(<Compilazione {...props} form={{ ...EMPTY_FORM, topic: 'sollecito_domanda', text: 'x' }}
      errors={{ practiceRef: new ApiError(422, 'practice_ref_not_associated', detail) }} />);
    const value = screen.getByLabelText('Riferimento della pratica');
    expect(value.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(value.getAttribute('aria-describedby')!)?.textContent).toBe(detail);
    // Not at the text: the text field stays valid.
    expect(screen.getByLabelText('Testo della richiesta').getAttribute('aria-invalid')).toBeNull();
  });

  it('counts the characters of the text', () => {
    render(<Compilazione {...props} form={{ ...EMPTY_FORM, topic: 'requisiti_accesso', text: 'Buongiorno' }} errors={{}} />);
    expect(screen.getByText('10 di 4000 caratteri')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Continua' })).toHaveProperty('disabled', false);
  });
});
