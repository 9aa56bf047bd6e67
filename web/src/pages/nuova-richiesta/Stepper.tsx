import { Icon } from '../../components/Icon';
import { STEP_LABELS, type StepId } from './model';

interface Props {
  steps: StepId[];
  current: StepId;
  /** Going back to a completed step (not after sending). */
  onGoTo?: (step: StepId) => void;
}

/**
 * Bootstrap Italia's "steppers" header (the manual's "navigatore"): the steps with the current one
 * marked `aria-current="step"`; a completed step is a button that goes back to it. At 375 px the
 * theme shows only the current step, with "n/N".
 */
export function Stepper({ steps, current, onGoTo }: Props) {
  const at = steps.indexOf(current);
  return (
    <nav className="steppers mb-4" aria-label="Passaggi della richiesta">
      <div className="steppers-header">
        <ul>
          {steps.map((s, i) => {
            const done = i < at;
            const active = i === at;
            const label = STEP_LABELS[s];
            return (
              <li key={s} className={active ? 'active' : done ? 'confirmed' : undefined} aria-current={active ? 'step' : undefined}>
                <span className="steppers-number" aria-hidden="true">
                  {done ? <Icon name="it-check" size="sm" /> : i + 1}
                </span>
                {done && onGoTo ? (
                  <button type="button" className="btn btn-link p-0 stepper-back" onClick={() => onGoTo(s)}>
                    {label}
                    <span className="visually-hidden"> (completato, torna a questo passaggio)</span>
                  </button>
                ) : (
                  <span>
                    {label}
                    {done && <span className="visually-hidden"> (completato)</span>}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
        <span className="steppers-index" aria-hidden="true">
          {at + 1}/{steps.length}
        </span>
      </div>
    </nav>
  );
}
