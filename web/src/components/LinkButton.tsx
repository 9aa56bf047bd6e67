import { useState, type ReactNode } from 'react';
import { signedUrl } from '../api/client';
import { toApiError, type ApiError } from '../api/problem';
import { ErrorAlert } from './ErrorAlert';

interface Props {
  /** The API GET path to open (e.g. `/api/v1/requests/<id>/summary`). */
  path: string;
  children: ReactNode;
  /** A new tab (printable summary) or the current one (a download). */
  newTab?: boolean;
  className?: string;
  label?: string;
}

/**
 * Opens an API document that needs the caller's identity through a short-lived signed URL
 * (a plain link cannot carry the bearer header; WEB.md pitfall 7).
 */
export function LinkButton({ path, children, newTab = false, className, label }: Props) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function open() {
    setBusy(true);
    setError(null);
    // Opened before the await so that the browser counts it as the user's click (no popup block).
    const tab = newTab ? window.open('', '_blank') : null;
    try {
      const url = await signedUrl(path);
      if (tab) tab.location.href = url;
      else window.location.assign(url);
    } catch (e) {
      tab?.close();
      setError(toApiError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <button type="button" className={className ?? 'btn btn-outline-primary'} onClick={open} disabled={busy} aria-label={label}>
        {children}
      </button>
      <ErrorAlert error={error} />
    </>
  );
}
