import { useEffect, useRef } from 'react';
import type { ApiError } from '../api/problem';
import { formatDateTime } from '../format';

interface Props {
  error: ApiError | null;
  /** Focus the message (after a submit, where the user's eyes and reader are). */
  focus?: boolean;
  className?: string;
}

/** The API's Italian `detail` where the user is looking; never a raw status. */
export function ErrorAlert({ error, focus = false, className }: Props) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error && focus) ref.current?.focus();
  }, [error, focus]);
  if (!error) return null;
  const when = error.availableFrom && !error.message.includes(formatDateTime(error.availableFrom).slice(0, 5))
    ? ` (possibile dal ${formatDateTime(error.availableFrom)})`
    : '';
  return (
    <div ref={ref} tabIndex={-1} role="alert" className={`alert alert-danger ${className ?? ''}`} data-code={error.code}>
      {error.message}
      {when}
    </div>
  );
}
