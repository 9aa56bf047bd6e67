import { render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { describe, expect, it } from 'vitest';
import { Cronologia, eventText, type TimelineEntry } from './Cronologia';

function entry(over: Partial<TimelineEntry>): TimelineEntry {
  return {
    request_id: 'r1',
    version: 1,
    at: '2026-03-02T09:30:00Z',
    kind: 'reply',
    actor_id: 'uff.bianchi',
    actor_role: 'sede_officer',
    actor_label: 'Sede INPS – Direzione provinciale di Roma (3201)',
    side: 'sede',
    sede: '3201',
    sede_label: 'Direzione provinciale di Roma (3201)',
    forwarded_to_label: null,
    text: 'Serve l’ISEE aggiornato.',
    attachments: [],
    details: {},
    position: 10,
    ...over,
  };
}

describe('Cronologia', () => {
  it('names the sede and who acted as the API says, never by code alone', () => {
    render(
      <MemoryRouter>
        <Cronologia
          requestId="r1"
          entries={[
            entry({ kind: 'sent', version: 1, side: 'patronato', actor_label: 'Operatore del patronato INCA CGIL' }),
            entry({ version: 2 }),
          ]}
        />
      </MemoryRouter>,
    );
    expect(screen.getByRole('heading', { name: 'Richiesta inoltrata alla sede Direzione provinciale di Roma (3201)' })).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Risposta della sede Direzione provinciale di Roma (3201)' })).toBeTruthy();
    expect(screen.getByText(/Operatore del patronato INCA CGIL/)).toBeTruthy();
    expect(screen.getByText(/Sede INPS – Direzione provinciale di Roma \(3201\)/)).toBeTruthy();
  });

  it('says a forward from one named sede to another', () => {
    const text = eventText(
      entry({ kind: 'forwarded', text: 'Competenza territoriale', forwarded_to_label: 'Filiale di Milano (3101)', details: { from: '3201', to: '3101' } as unknown as TimelineEntry['details'] }),
    );
    expect(text).toBe('Inoltrata dalla sede Direzione provinciale di Roma (3201) alla sede Filiale di Milano (3101): Competenza territoriale');
    expect(eventText(entry({ kind: 'closed', text: null, sede_label: null }))).toBe('Conversazione chiusa dalla sede');
  });
});
