import { useId, type ReactNode } from 'react';
import type { components } from '../api/schema';
import { formatDateTime } from '../format';

export type NextAction = components['schemas']['NextAction'];

/** Why an action is not possible now, in Italian, with its date when waiting helps. */
export function actionReason(a: NextAction | undefined): string | null {
  if (!a) return 'Azione non disponibile per questa richiesta.';
  if (a.allowed) return null;
  const msg = a.message?.trim() || 'Azione non disponibile in questo momento.';
  if (a.available_from && !/\d{2}\/\d{2}/.test(msg)) return `${msg} (possibile dal ${formatDateTime(a.available_from)})`;
  return msg;
}

export function findAction(actions: NextAction[] | undefined, name: string): NextAction | undefined {
  return actions?.find((a) => a.action === name);
}

interface Props {
  action: NextAction | undefined;
  onClick: () => void;
  children: ReactNode;
  busy?: boolean;
  variant?: 'primary' | 'outline-primary' | 'secondary';
  className?: string;
}

/**
 * A button for one of the API's next actions: the API decides whether it is possible; when not,
 * the button is disabled and the reason is written beside it (and tied to it for screen readers).
 */
export function ActionButton({ action, onClick, children, busy = false, variant = 'primary', className }: Props) {
  const reasonId = useId();
  const reason = actionReason(action);
  const note = action?.allowed ? action.message : null;
  return (
    <div className={`action-button ${className ?? ''}`}>
      <button
        type="button"
        className={`btn btn-${variant}`}
        disabled={reason !== null || busy}
        aria-describedby={reason || note ? reasonId : undefined}
        onClick={onClick}
      >
        {children}
      </button>
      {(reason || note) && (
        <p id={reasonId} className={`small mt-1 mb-0 ${reason ? 'text-muted' : ''}`}>
          {reason ?? note}
        </p>
      )}
    </div>
  );
}
