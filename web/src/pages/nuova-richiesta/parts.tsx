import { useEffect, useRef, type ReactNode } from 'react';
import type { ApiError } from '../../api/problem';

/**
 * The step's h2. Each time `focusKey` changes (a step change; 0 on the page's first render, where
 * the h1 has it) the focus moves here, so keyboard and screen-reader users start reading the step.
 */
export function StepHeading({ children, focusKey }: { children: ReactNode; focusKey: number }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusKey > 0) ref.current?.focus();
  }, [focusKey]);
  return (
    <h2 ref={ref} tabIndex={-1} className="h3 page-heading mb-3">
      {children}
    </h2>
  );
}

/** An API refusal next to the field it concerns: announced, and linked by aria-describedby. */
export function FieldError({ id, error }: { id: string; error: ApiError | null | undefined }) {
  if (!error) return null;
  return (
    <div id={id} role="alert" className="field-error" data-code={error.code}>
      {error.message}
    </div>
  );
}

/** aria-describedby of the ids given (undefined when none). */
export function describedBy(...ids: (string | false | null | undefined)[]): string | undefined {
  const s = ids.filter(Boolean).join(' ');
  return s === '' ? undefined : s;
}

/** "Indietro" and the step's forward button, as Bootstrap Italia's steppers-nav. */
export function StepNav({ onBack, children }: { onBack?: () => void; children: ReactNode }) {
  return (
    <div className="steppers-nav wizard-nav">
      {onBack ? (
        <button type="button" className="btn btn-outline-primary steppers-btn-prev" onClick={onBack}>
          Indietro
        </button>
      ) : (
        <span />
      )}
      {children}
    </div>
  );
}

/** A character counter tied to its field ("120 di 4000 caratteri"). */
export function Counter({ id, value, max }: { id: string; value: string; max: number }) {
  const n = [...value].length;
  return (
    <small id={id} className={`form-text ${n > max ? 'text-danger' : ''}`}>
      {n} di {max} caratteri
    </small>
  );
}
