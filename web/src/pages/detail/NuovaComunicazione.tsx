import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { idem, uploadFile, type CommandAccepted, type UploadView } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import { clearDraft, loadDraft, saveDraft } from '../../auth/session';
import { actionReason, type NextAction } from '../../components/ActionButton';
import { ErrorAlert } from '../../components/ErrorAlert';
import { formatBytes } from '../../format';
import { Icon } from '../../components/Icon';

interface Props {
  requestId: string;
  userId: string;
  action: NextAction | undefined;
  interactionsLeft: number;
  onSent: (accepted: CommandAccepted) => void;
}

/** "Nuova comunicazione" (manual fig. 20): text and attachments; its draft survives a reload. */
export function NuovaComunicazione({ requestId, userId, action, interactionsLeft, onSent }: Props) {
  const draftName = `message.${requestId}`;
  const [text, setText] = useState(() => loadDraft<string>(userId, draftName) ?? '');
  const [files, setFiles] = useState<UploadView[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [sent, setSent] = useState(false);
  const keys = useRef(new IdempotencyKeys());
  const fileInput = useRef<HTMLInputElement>(null);
  const reason = actionReason(action);

  function change(v: string) {
    setText(v);
    setSent(false);
    saveDraft(userId, draftName, v);
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
      const accepted = await unwrap(
        api.POST('/api/v1/requests/{id}/messages', {
          params: { path: { id: requestId } },
          headers: idem(keys.current.keyFor(body)),
          body,
        }),
      );
      keys.current.done();
      clearDraft(userId, draftName);
      setText('');
      setFiles([]);
      setSent(true);
      onSent(accepted);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="nuova-comunicazione" className="mb-5">
      <h2 id="nuova-comunicazione" className="h4">Nuova comunicazione</h2>
      <p className="mb-2">
        Interazioni residue: <strong>{interactionsLeft}</strong> di 2
      </p>
      {reason && <p className="text-muted" id="message-reason">{reason}</p>}
      <div aria-live="polite">{sent && <div className="alert alert-success">Comunicazione inviata alla sede.</div>}</div>
      <ErrorAlert error={error} focus />
      <form onSubmit={submit}>
        <div className="form-group">
          <label htmlFor="message-text" className="active">Testo della comunicazione</label>
          <textarea id="message-text" className="form-control" rows={5} value={text} disabled={reason !== null}
            aria-describedby={reason ? 'message-reason' : undefined} onChange={(e) => change(e.target.value)} />
        </div>
        <div className="mb-3">
          {/* Bootstrap Italia's upload: the file input is visually hidden but focusable, its label the button. */}
          <input ref={fileInput} id="message-files" type="file" multiple className="upload" disabled={reason !== null}
            aria-describedby="message-files-hint" onChange={(e) => addFiles(e.target.files)} />
          <label htmlFor="message-files">
            <Icon name="it-upload" size="sm" />
            <span>Aggiungi allegati</span>
          </label>
          <small id="message-files-hint" className="form-text d-block">PDF, JPEG, PNG, TIFF o file firmati .p7m.</small>
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
          {busy ? 'Invio in corso…' : 'Invia'}
        </button>
      </form>
    </section>
  );
}
