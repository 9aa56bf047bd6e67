import { useRef, useState, type FormEvent, type ReactNode } from 'react';
import { uploadFile, type CommandAccepted, type UploadView } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import { clearDraft, loadDraft, saveDraft } from '../../auth/session';
import { formatBytes } from '../../format';
import { actionReason, type NextAction } from '../ActionButton';
import { ErrorAlert } from '../ErrorAlert';
import { Icon } from '../Icon';

/** What a message carries to the API: its text and the ids of the uploads attached. */
export interface MessageBody {
  text: string;
  attachments: string[];
}

interface Props {
  /** Prefix of the element ids (two composers never share a page, but ids stay readable). */
  idPrefix: string;
  title: string;
  textLabel: string;
  submitLabel: string;
  /** Name of the draft kept per user and request (it survives a reload). */
  draftName: string;
  userId: string;
  action: NextAction | undefined;
  /** Sends the body with its Idempotency-Key. */
  send: (body: MessageBody, idempotencyKey: string) => Promise<CommandAccepted>;
  onSent: (accepted: CommandAccepted) => void;
  /** Said in the section's live region after a successful send, if anything. */
  sentMessage?: string;
  /** Shown under the heading (e.g. the interactions left). */
  children?: ReactNode;
}

/**
 * A message with attachments, from either side of the conversation (the patronato's "Nuova
 * comunicazione", the sede's "Rispondi"): disabled with the API's Italian reason while the action
 * is not allowed, its draft kept across reloads, one Idempotency-Key per input.
 */
export function MessageComposer(p: Props) {
  const [text, setText] = useState(() => loadDraft<string>(p.userId, p.draftName) ?? '');
  const [files, setFiles] = useState<UploadView[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const keys = useRef(new IdempotencyKeys());
  const fileInput = useRef<HTMLInputElement>(null);
  const reason = actionReason(p.action);
  const ids = { section: p.idPrefix, reason: `${p.idPrefix}-reason`, text: `${p.idPrefix}-text`,
    files: `${p.idPrefix}-files`, hint: `${p.idPrefix}-files-hint` };

  function change(v: string) {
    setText(v);
    setSent(false);
    saveDraft(p.userId, p.draftName, v);
  }

  async function addFiles(list: FileList | null) {
    if (!list) return;
    setError(null);
    for (const f of Array.from(list)) {
      try {
        const up = await uploadFile(f);
        setFiles((fs) => [...fs, up]);
      } catch (e) {
        setError(toApiError(e));
      }
    }
    if (fileInput.current) fileInput.current.value = '';
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const body = { text, attachments: files.map((f) => f.id) };
    try {
      const accepted = await p.send(body, keys.current.keyFor(body));
      keys.current.done();
      clearDraft(p.userId, p.draftName);
      setText('');
      setFiles([]);
      setSent(true);
      p.onSent(accepted);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby={ids.section} className="mb-5">
      <h2 id={ids.section} className="h4">{p.title}</h2>
      {p.children}
      {reason && <p className="text-muted" id={ids.reason}>{reason}</p>}
      {p.sentMessage && <div aria-live="polite">{sent && <div className="alert alert-success">{p.sentMessage}</div>}</div>}
      <ErrorAlert error={error} focus />
      <form onSubmit={submit}>
        <div className="form-group">
          <label htmlFor={ids.text} className="active">{p.textLabel}</label>
          <textarea id={ids.text} className="form-control" rows={5} value={text} disabled={reason !== null}
            aria-describedby={reason ? ids.reason : undefined} onChange={(e) => change(e.target.value)} />
        </div>
        <div className="mb-3">
          {/* Bootstrap Italia's upload: the file input is visually hidden but focusable, its label the button. */}
          <input ref={fileInput} id={ids.files} type="file" multiple className="upload" disabled={reason !== null}
            aria-describedby={ids.hint} onChange={(e) => addFiles(e.target.files)} />
          <label htmlFor={ids.files}>
            <Icon name="it-upload" size="sm" />
            <span>Aggiungi allegati</span>
          </label>
          <small id={ids.hint} className="form-text d-block">PDF, JPEG, PNG, TIFF o file firmati .p7m.</small>
          {files.length > 0 && (
            <ul className="mt-2">
              {files.map((f) => (
                <li key={f.id}>
                  {f.filename} ({formatBytes(f.size)}){' '}
                  <button type="button" className="btn btn-link p-0" onClick={() => setFiles((fs) => fs.filter((x) => x.id !== f.id))}>
                    Rimuovi {f.filename}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <button type="submit" className="btn btn-primary" disabled={reason !== null || busy || text.trim() === ''}>
          {busy ? 'Invio in corso…' : p.submitLabel}
        </button>
      </form>
    </section>
  );
}
