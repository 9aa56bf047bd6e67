import { describe, expect, it } from 'vitest';
import { formatIsoDay } from '../../format';
import {
  canCheck, canSearch, citizenLine, isFemale, emptyDraft, EMPTY_FORM, EMPTY_SEARCH, fieldOfCode, requestBody, stepsFor, topicsFor, type Topic,
} from './model';

const TOPICS: Topic[] = [
  { code: 'sollecito_domanda', label: 'Sollecito domanda già presentata', audience: 'operator', requires_practice_ref: true, subtopics: [{ code: 'naspi', label: 'NASpI' }] },
  { code: 'requisiti_accesso', label: 'Requisiti e modalità di accesso ai servizi', audience: 'both', requires_practice_ref: false, subtopics: [] },
  { code: 'chiarimento_normativo', label: 'Chiarimento normativo', audience: 'regional_referent', requires_practice_ref: false, subtopics: [] },
];

describe('steps and topics per role', () => {
  it('an operator identifies the citizen first; a referent writes on their own behalf (manual §4.3)', () => {
    expect(stepsFor('operator')).toEqual(['individuazione', 'conferma-utente', 'compilazione', 'riepilogo', 'conferma']);
    expect(stepsFor('patronato_admin')[0]).toBe('individuazione');
    expect(stepsFor('regional_referent')).toEqual(['compilazione', 'riepilogo', 'conferma']);
  });

  it('offers only the topics of the role, in the catalogue order', () => {
    expect(topicsFor('operator', TOPICS).map((t) => t.code)).toEqual(['sollecito_domanda', 'requisiti_accesso']);
    expect(topicsFor('regional_referent', TOPICS).map((t) => t.code)).toEqual(['requisiti_accesso', 'chiarimento_normativo']);
  });
});

describe('Continua', () => {
  it('is enabled by a codice fiscale, or by all of Cognome, Nome and Data di nascita', () => {
    expect(canSearch(EMPTY_SEARCH)).toBe(false);
    expect(canSearch({ ...EMPTY_SEARCH, codiceFiscale: '  ' })).toBe(false);
    expect(canSearch({ ...EMPTY_SEARCH, codiceFiscale: 'RSSMRA60E12H501E' })).toBe(true);
    const ana = { ...EMPTY_SEARCH, mode: 'anagrafica' as const, surname: 'Rossi', name: 'Mario', birthDate: '1960-05-12' };
    expect(canSearch(ana)).toBe(true);
    expect(canSearch({ ...ana, name: '' })).toBe(false);
    expect(canSearch({ ...ana, birthDate: '' })).toBe(false);
    // The codice fiscale typed before switching to Anagrafica does not count.
    expect(canSearch({ ...ana, surname: '', codiceFiscale: 'RSSMRA60E12H501E' })).toBe(false);
  });

  it('at Compilazione needs a topic; the rest is the API check', () => {
    expect(canCheck(EMPTY_FORM)).toBe(false);
    expect(canCheck({ ...EMPTY_FORM, topic: 'requisiti_accesso' })).toBe(true);
  });
});

describe('refusals of the API at their step and field', () => {
  it.each([
    ['practice_ref_not_associated', 'compilazione', 'practiceRef'],
    ['practice_not_enabled', 'compilazione', 'practiceRef'],
    ['practice_ref_required', 'compilazione', 'practiceRef'],
    ['invalid_practice_ref', 'compilazione', 'practiceRef'],
    ['text_required', 'compilazione', 'text'],
    ['text_too_long', 'compilazione', 'text'],
    ['notes_too_long', 'compilazione', 'notes'],
    ['topic_not_allowed_for_role', 'compilazione', 'topic'],
    ['subtopic_unknown', 'compilazione', 'subtopic'],
    ['too_many_attachments', 'compilazione', 'attachments'],
    ['mandate_not_declared', 'conferma-utente', 'mandate'],
    ['citizen_not_found', 'individuazione', 'search'],
    ['cf_checksum', 'individuazione', 'search'],
    ['destination_inactive', 'riepilogo', 'destination'],
  ])('%s → %s / %s', (code, step, field) => {
    expect(fieldOfCode(code)).toEqual({ step, field });
  });

  it('a code of no field is shown where the user is', () => {
    expect(fieldOfCode('idempotency_key_reused')).toBeNull();
    expect(fieldOfCode('network')).toBeNull();
  });
});

describe('the body sent', () => {
  const citizen = { codice_fiscale: 'RSSMRA60E12H501E', surname: 'Rossi', name: 'Mario', birth_date: '1960-05-12', birth_place: 'Roma', cap: '00184' };

  it("carries the citizen, the delega, the practice reference of a topic that needs one and the uploads' ids", () => {
    const d = {
      ...emptyDraft('operator'),
      citizen,
      mandate: true,
      form: {
        ...EMPTY_FORM, topic: 'sollecito_domanda', subtopic: 'naspi', practiceKind: 'protocollo', practiceValue: ' INPS.3201.03/03/2025.0001234 ',
        text: 'Testo', notes: '  ', attachments: [{ id: 'u1', filename: 'a.pdf', media_type: 'application/pdf', sha256: '', size: 1 }],
      },
    };
    expect(requestBody(d, 'operator', TOPICS)).toEqual({
      codice_fiscale: 'RSSMRA60E12H501E', mandate_declared: true, topic: 'sollecito_domanda', subtopic: 'naspi',
      practice_ref: { kind: 'protocollo', value: 'INPS.3201.03/03/2025.0001234' }, text: 'Testo', notes: null,
      attachments: ['u1'], destination_sede: null,
    });
  });

  it('drops a practice reference left over from a topic that needs none, and names no citizen for a referent', () => {
    const d = { ...emptyDraft('regional_referent'), form: { ...EMPTY_FORM, topic: 'chiarimento_normativo', practiceKind: 'protocollo', practiceValue: 'X', text: 'T' } };
    const body = requestBody(d, 'regional_referent', TOPICS);
    expect(body.practice_ref).toBeNull();
    expect('codice_fiscale' in body).toBe(false);
    expect('mandate_declared' in body).toBe(false);
  });

  it('sends copy_from and the chosen sede', () => {
    const d = { ...emptyDraft('operator'), citizen, mandate: true, copyFrom: 'r1', form: { ...EMPTY_FORM, topic: 'requisiti_accesso', text: 'T' },
      destination: { code: '3202', name: 'Roma Eur', region: 'LAZ', kind: 'agenzia', active: true, slot_minutes: 15 } };
    const body = requestBody(d, 'operator', TOPICS);
    expect(body.copy_from).toBe('r1');
    expect(body.destination_sede).toBe('3202');
  });
});

describe('a candidate as in fig. 7', () => {
  it('shows birth place and province and the residence when the API gives them', () => {
    const c = { codice_fiscale: 'X', surname: 'Rossi', name: 'Mario', birth_date: '1960-05-12', birth_place: 'Napoli', birth_province: 'NA', cap: '80127',
      residence: { address: 'Via Toledo 10', municipality: 'Napoli', province: 'NA', cap: '80127' } };
    expect(citizenLine(c, formatIsoDay)).toBe('Nato il 12/05/1960 a Napoli (NA), residente in Via Toledo 10, 80127 Napoli (NA)');
  });

  it('says Nata for a woman, from her codice fiscale (omocodia included)', () => {
    const c = { codice_fiscale: 'BNCNNA52S63H501H', surname: 'Bianchi', name: 'Anna', birth_date: '1952-11-23', birth_place: 'Roma', cap: '00185' };
    expect(citizenLine(c, formatIsoDay)).toBe('Nata il 23/11/1952 a Roma, CAP di residenza 00185');
    expect(isFemale('BNCNNA52S6PH501H')).toBe(true);
    expect(isFemale('RSSMRA60E12H501E')).toBe(false);
    expect(isFemale('RSSMRA60E1NH501E')).toBe(false);
  });

  it('falls back to the birth place and the CAP', () => {
    const c = { codice_fiscale: 'X', surname: 'Rossi', name: 'Mario', birth_date: '1960-05-12', birth_place: 'Roma', cap: '00184' };
    expect(citizenLine(c, formatIsoDay)).toBe('Nato il 12/05/1960 a Roma, CAP di residenza 00184');
  });
});
