import { describe, expect, it } from 'vitest';
import { homeFor, navFor } from '../../components/nav';
import { forwardTargets } from './Inoltra';

describe('a second kind of user', () => {
  it('gives a sede officer the sede navbar and a patronato user today’s', () => {
    expect(navFor('sede_officer').map((n) => n.label)).toEqual(['Richieste in arrivo', 'Agenda', 'Chiusure e avvisi', 'Coda']);
    expect(navFor('operator').map((n) => n.label)).toContain('Storico richieste');
    expect(navFor('regional_referent').map((n) => n.label)).not.toContain('Coda');
    expect(navFor('auditor').map((n) => n.label)).toEqual(['Registro eventi', 'Stato al…', 'Accessi ai dati personali', 'Copia dei dati']);
    expect([homeFor('sede_officer'), homeFor('auditor'), homeFor('operator')]).toEqual(['/sede/richieste', '/audit', null]);
    expect(navFor('analyst').map((n) => n.label)).toEqual(['Cruscotto', 'Viste SQL']);
    expect(homeFor('analyst')).toBe('/cruscotto');
  });

  it('offers to forward only to another active sede', () => {
    const s = (code: string, active = true) => ({ code, name: code, active, kind: 'agenzia', region: 'Lazio', slot_minutes: 15 });
    expect(forwardTargets([s('3201'), s('3202'), s('3203', false)], '3201').map((x) => x.code)).toEqual(['3202']);
  });
});
