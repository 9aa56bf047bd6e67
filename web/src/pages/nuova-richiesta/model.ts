// The wizard's state and rules that need no screen: steps per role, when "Continua" is enabled,
// the topics of a role, the body sent to the API and which field an API refusal concerns.
import type { components } from '../../api/schema';

type S = components['schemas'];
export type Topic = S['TopicView'];
export type CreateBody = S['CreateRequestBody'];
export type RequestCheck = S['RequestCheck'];
export type Upload = S['UploadView'];
export type Sede = S['SedeView'];

/** A person of the registry; fig. 7 shows birth place and province and the residence. */
export type Citizen = S['CitizenView'];

/**
 * Whether the codice fiscale is a woman's (day of birth + 40), for "Nata"/"Nato"; omocodia
 * replaces digits with the letters L–V.
 */
export function isFemale(cf: string): boolean {
  const digit = (ch: string) => (/\d/.test(ch) ? Number(ch) : 'LMNPQRSTUV'.indexOf(ch.toUpperCase()));
  const d1 = digit(cf.charAt(9));
  const d2 = digit(cf.charAt(10));
  return d1 >= 0 && d2 >= 0 && d1 * 10 + d2 > 40;
}

export type StepId = 'individuazione' | 'conferma-utente' | 'compilazione' | 'riepilogo' | 'conferma';

export const STEP_LABELS: Record<StepId, string> = {
  individuazione: 'Individuazione cittadino',
  'conferma-utente': 'Conferma utente',
  compilazione: 'Compilazione richiesta',
  riepilogo: 'Riepilogo e inoltro',
  conferma: 'Conferma richiesta',
};

export const isReferent = (role: string) => role === 'regional_referent';

/** A regional referent writes on their own behalf: no citizen steps (manual §4.3). */
export function stepsFor(role: string): StepId[] {
  return isReferent(role)
    ? ['compilazione', 'riepilogo', 'conferma']
    : ['individuazione', 'conferma-utente', 'compilazione', 'riepilogo', 'conferma'];
}

/** The topics a role may choose ("Motivo del contatto"), in the catalogue's order. */
export function topicsFor(role: string, topics: Topic[]): Topic[] {
  const audience = isReferent(role) ? 'regional_referent' : 'operator';
  return topics.filter((t) => t.audience === 'both' || t.audience === audience);
}

export const PRACTICE_KINDS: { value: string; label: string }[] = [
  { value: 'protocollo', label: 'Numero protocollo' },
  { value: 'domus', label: 'Numero Domus' },
  { value: 'pensione', label: 'Numero pensione' },
  { value: 'domanda_rdc', label: 'Numero domanda RDC' },
  { value: 'domanda_rem', label: 'Numero domanda REM' },
];

export const MAX_TEXT = 4000;
export const MAX_NOTES = 2000;

export type SearchMode = 'cf' | 'anagrafica';

export interface Search {
  mode: SearchMode;
  codiceFiscale: string;
  surname: string;
  name: string;
  birthDate: string; // YYYY-MM-DD (date input)
}

export interface Form {
  topic: string;
  subtopic: string;
  practiceKind: string;
  practiceValue: string;
  text: string;
  notes: string;
  attachments: Upload[];
}

/** Everything the wizard keeps in the user's draft (sessionStorage): it survives a reload. */
export interface Draft {
  step: StepId;
  search: Search;
  citizen: Citizen | null;
  mandate: boolean;
  form: Form;
  /** A sede chosen with "Modifica sede" instead of the proposed one. */
  destination: Sede | null;
  /** "Medesima richiesta per un differente cittadino" / "Nuova richiesta per lo stesso cittadino". */
  copyFrom: string | null;
}

export const EMPTY_SEARCH: Search = { mode: 'cf', codiceFiscale: '', surname: '', name: '', birthDate: '' };
export const EMPTY_FORM: Form = { topic: '', subtopic: '', practiceKind: '', practiceValue: '', text: '', notes: '', attachments: [] };

export function emptyDraft(role: string): Draft {
  return {
    step: stepsFor(role)[0]!,
    search: EMPTY_SEARCH,
    citizen: null,
    mandate: false,
    form: EMPTY_FORM,
    destination: null,
    copyFrom: null,
  };
}

/** "Continua" of Individuazione cittadino: enabled once the chosen search is filled in. */
export function canSearch(s: Search): boolean {
  if (s.mode === 'cf') return s.codiceFiscale.trim().length > 0;
  return s.surname.trim() !== '' && s.name.trim() !== '' && /^\d{4}-\d{2}-\d{2}$/.test(s.birthDate);
}

export function topicOf(topics: Topic[], code: string): Topic | undefined {
  return topics.find((t) => t.code === code);
}

/**
 * "Continua" of Compilazione richiesta: enabled once a topic is chosen (every other rule is the
 * API's, answered by the check at this step).
 */
export function canCheck(f: Form): boolean {
  return f.topic !== '';
}

/** The body of checkRequest and createRequest from the draft. */
export function requestBody(d: Draft, role: string, topics: Topic[]): CreateBody {
  const topic = topicOf(topics, d.form.topic);
  const withRef = topic?.requires_practice_ref && (d.form.practiceKind !== '' || d.form.practiceValue.trim() !== '');
  const body: CreateBody = {
    topic: d.form.topic || null,
    subtopic: d.form.subtopic || null,
    practice_ref: withRef ? { kind: d.form.practiceKind, value: d.form.practiceValue.trim() } : null,
    text: d.form.text,
    notes: d.form.notes.trim() === '' ? null : d.form.notes,
    attachments: d.form.attachments.map((a) => a.id),
    destination_sede: d.destination?.code ?? null,
  };
  if (!isReferent(role)) {
    body.codice_fiscale = d.citizen?.codice_fiscale ?? null;
    body.mandate_declared = d.mandate;
  }
  if (d.copyFrom) body.copy_from = d.copyFrom;
  return body;
}

export type FieldId =
  | 'search'
  | 'mandate'
  | 'topic'
  | 'subtopic'
  | 'practiceRef'
  | 'text'
  | 'notes'
  | 'attachments'
  | 'destination'
  | 'general';

/**
 * Where an API refusal is shown: the step and the field it concerns; null for a code that concerns
 * no field (shown where the user is).
 */
export function fieldOfCode(code: string): { step: StepId; field: FieldId } | null {
  switch (code) {
    case 'mandate_not_declared':
      return { step: 'conferma-utente', field: 'mandate' };
    case 'citizen_required':
    case 'citizen_not_found':
    case 'own_behalf_only':
      return { step: 'individuazione', field: 'search' };
    case 'topic_unknown':
    case 'topic_not_allowed_for_role':
      return { step: 'compilazione', field: 'topic' };
    case 'subtopic_unknown':
      return { step: 'compilazione', field: 'subtopic' };
    case 'practice_ref_required':
    case 'practice_ref_not_associated':
    case 'practice_not_enabled':
    case 'invalid_practice_ref':
      return { step: 'compilazione', field: 'practiceRef' };
    case 'text_required':
    case 'text_too_long':
      return { step: 'compilazione', field: 'text' };
    case 'notes_too_long':
      return { step: 'compilazione', field: 'notes' };
    case 'too_many_attachments':
    case 'upload_not_found':
      return { step: 'compilazione', field: 'attachments' };
    case 'destination_unknown':
    case 'destination_inactive':
    case 'destination_missing':
      return { step: 'riepilogo', field: 'destination' };
    default:
      if (code.startsWith('cf_')) return { step: 'individuazione', field: 'search' };
      return null;
  }
}

/** "Nato il 12/05/1960 a Roma (RM), residente in Via …, 00184 Roma (RM)" (fig. 7), from what the API gives. */
export function citizenLine(c: Citizen, formatDay: (d: string) => string): string {
  const nato = isFemale(c.codice_fiscale) ? 'Nata' : 'Nato';
  let s = `${nato} il ${formatDay(c.birth_date)}`;
  if (c.birth_place) s += ` a ${c.birth_place}${c.birth_province ? ` (${c.birth_province})` : ''}`;
  const r = c.residence;
  if (r && (r.address || r.municipality)) {
    const place = [r.cap, r.municipality].filter(Boolean).join(' ');
    s += `, residente in ${[r.address, place].filter(Boolean).join(', ')}${r.province ? ` (${r.province})` : ''}`;
  } else if (c.cap) {
    s += `, CAP di residenza ${c.cap}`;
  }
  return s;
}
