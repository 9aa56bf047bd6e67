import { useId, type InputHTMLAttributes } from 'react';

interface Props extends InputHTMLAttributes<HTMLInputElement> {
  label: string;
  hint?: string;
}

/** A labelled Bootstrap Italia input (label above, always visible: placeholders are not labels). */
export function Field({ label, hint, className, id, type = 'text', ...input }: Props) {
  const auto = useId();
  const fid = id ?? auto;
  const hintId = `${fid}-hint`;
  return (
    <div className={`form-group ${className ?? ''}`}>
      <label htmlFor={fid} className="active">
        {label}
      </label>
      {/* Bootstrap Italia styles inputs by their type: an input without one is invisible. */}
      <input id={fid} type={type} className="form-control" aria-describedby={hint ? hintId : undefined} {...input} />
      {hint && (
        <small id={hintId} className="form-text">
          {hint}
        </small>
      )}
    </div>
  );
}
