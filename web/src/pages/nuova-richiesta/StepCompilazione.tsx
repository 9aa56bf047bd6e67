import type { FormEvent } from 'react';
import type { ApiError } from '../../api/problem';
import { Allegati } from './Allegati';
import { canCheck, MAX_NOTES, MAX_TEXT, PRACTICE_KINDS, topicOf, type FieldId, type Form, type Topic } from './model';
import { Counter, describedBy, FieldError, StepNav } from './parts';

interface Props {
  form: Form;
  topics: Topic[];
  onChange: (patch: Partial<Form>) => void;
  errors: Partial<Record<FieldId, ApiError>>;
  busy: boolean;
  onBack?: () => void;
  /** "Continua": the API's check of the request so far. */
  onNext: () => void;
}

const invalid = (e: ApiError | undefined) => (e ? true : undefined);

/** Compilazione richiesta (manual §3.2.2, fig. 9–13; §4.3.1 for a referent). */
export function Compilazione({ form, topics, onChange, errors, busy, onBack, onNext }: Props) {
  const topic = topicOf(topics, form.topic);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (canCheck(form)) onNext();
  };

  return (
    <form onSubmit={submit} noValidate>
      <FieldError id="general-error" error={errors.general} />
      <div className="row mt-4">
        <div className="col-md-6 select-wrapper form-group">
          <label htmlFor="topic">Motivo del contatto</label>
          <select id="topic" value={form.topic} aria-invalid={invalid(errors.topic)} aria-describedby={describedBy(errors.topic && 'topic-error')}
            onChange={(e) => onChange({ topic: e.target.value, subtopic: '', practiceKind: '', practiceValue: '' })}>
            <option value="">Seleziona il motivo del contatto</option>
            {topics.map((t) => (
              <option key={t.code} value={t.code}>{t.label}</option>
            ))}
          </select>
          <FieldError id="topic-error" error={errors.topic} />
        </div>
        {topic && (
          <div className="col-md-6 select-wrapper form-group">
            <label htmlFor="subtopic">Sotto-tematica</label>
            <select id="subtopic" value={form.subtopic} aria-invalid={invalid(errors.subtopic)}
              aria-describedby={describedBy(errors.subtopic && 'subtopic-error')} onChange={(e) => onChange({ subtopic: e.target.value })}>
              <option value="">Seleziona la sotto-tematica</option>
              {topic.subtopics.map((s) => (
                <option key={s.code} value={s.code}>{s.label}</option>
              ))}
            </select>
            <FieldError id="subtopic-error" error={errors.subtopic} />
          </div>
        )}
      </div>

      {topic?.requires_practice_ref && (
        <fieldset className="mb-3" aria-describedby={describedBy(errors.practiceRef && 'practice-error')}>
          <legend className="h5">Inserisci il riferimento della pratica</legend>
          <div className="row">
            <div className="col-md-5 select-wrapper form-group">
              <label htmlFor="practice-kind">Tipo di riferimento</label>
              <select id="practice-kind" value={form.practiceKind} aria-invalid={invalid(errors.practiceRef)}
                onChange={(e) => onChange({ practiceKind: e.target.value })}>
                <option value="">Seleziona il tipo di riferimento</option>
                {PRACTICE_KINDS.map((k) => (
                  <option key={k.value} value={k.value}>{k.label}</option>
                ))}
              </select>
            </div>
            <div className="col-md-7 form-group">
              <label htmlFor="practice-value" className="active">Riferimento della pratica</label>
              <input id="practice-value" className="form-control code-text" autoComplete="off" spellCheck={false} value={form.practiceValue}
                aria-invalid={invalid(errors.practiceRef)} aria-describedby={describedBy(errors.practiceRef && 'practice-error')}
                onChange={(e) => onChange({ practiceValue: e.target.value })} />
            </div>
          </div>
          <FieldError id="practice-error" error={errors.practiceRef} />
        </fieldset>
      )}

      <div className="form-group">
        <label htmlFor="text" className="active">Testo della richiesta</label>
        <textarea id="text" className="form-control" rows={6} maxLength={MAX_TEXT} value={form.text} required aria-required="true"
          aria-invalid={invalid(errors.text)} aria-describedby={describedBy('text-count', errors.text && 'text-error')}
          onChange={(e) => onChange({ text: e.target.value })} />
        <Counter id="text-count" value={form.text} max={MAX_TEXT} />
        <FieldError id="text-error" error={errors.text} />
      </div>
      <div className="form-group">
        <label htmlFor="notes" className="active">Inserisci ulteriori note (facoltativo)</label>
        <textarea id="notes" className="form-control" rows={3} maxLength={MAX_NOTES} value={form.notes}
          aria-invalid={invalid(errors.notes)} aria-describedby={describedBy('notes-count', errors.notes && 'notes-error')}
          onChange={(e) => onChange({ notes: e.target.value })} />
        <Counter id="notes-count" value={form.notes} max={MAX_NOTES} />
        <FieldError id="notes-error" error={errors.notes} />
      </div>

      <Allegati files={form.attachments} onChange={(attachments) => onChange({ attachments })} error={errors.attachments ?? null} />

      <StepNav onBack={onBack}>
        <button type="submit" className="btn btn-primary steppers-btn-confirm" disabled={!canCheck(form) || busy}>
          {busy ? 'Verifica in corso…' : 'Continua'}
        </button>
      </StepNav>
    </form>
  );
}
