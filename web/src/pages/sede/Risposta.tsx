import { useRef, useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { idem, uploadFile, type CommandAccepted, type UploadView } from '../../api/commands';
import { IdempotencyKeys } from '../../api/ids';
import { toApiError, type ApiError } from '../../api/problem';
import { clearDraft, loadDraft, saveDraft } from '../../auth/session';
import { actionReason, type NextAction } from '../../components/ActionButton';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Icon } from '../../components/Icon';
import { formatBytes } from '../../format';

interface Props {
  requestId: string;
  userId: string;
  action: NextAction | undefined;
  onSent: (accepted: CommandAccepted) => void;
}

/** "Rispondi": the sede's answer, text and attachments; its draft survives a reload. */
export function Risposta({ requestId, userId, action, onSent }: Props) {
  const draftName = `reply.${requestId}`;
  const [text, setText] = useState(() => loadDraft<string>(userId, draftName) ?? '');
  const [files, setFiles] = useState<UploadView[]>([]);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const keys = useRef(new IdempotencyKeys());
  const fileInput = useRef<HTMLInputElement>(null);
  const reason = actionReason(action);

  function change(v: string) {
    setText(v);
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
      const accepted = await unwrap(api.POST('/api/v1/requests/{id}/replies', {
        params: { path: { id: requestId } },
        headers: idem(keys.current.keyFor(body)),
        body,
      }));
      keys.current.done();
      clearDraft(userId, draftName);
      setText('');
      setFiles([]);
      onSent(accepted);
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="rispondi" className="mb-5">
      <h2 id="rispondi" className="h4">Rispondi</h2>
      {reason && <p className="text-muted" id="reply-reason">{reason}</p>}
      <ErrorAlert error={error} focus />
      <form onSubmit={submit}>
        <div className="form-group">
          <label htmlFor="reply-text" className="active">Testo della risposta</label>
          <textarea id="reply-text" className="form-control" rows={5} value={text} disabled={reason !== null}
            aria-describedby={reason ? 'reply-reason' : undefined} onChange={(e) => change(e.target.value)} />
        </div>
        <div className="mb-3">
          <input ref={fileInput} id="reply-files" type="file" multiple className="upload" disabled={reason !== null}
            aria-describedby="reply-files-hint" onChange={(e) => addFiles(e.target.files)} />
          <label htmlFor="reply-files">
            <Icon name="it-upload" size="sm" />
            <span>Aggiungi allegati</span>
          </label>
          <small id="reply-files-hint" className="form-text d-block">PDF, JPEG, PNG, TIFF o file firmati .p7m.</small>
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
          {busy ? 'Invio in corso…' : 'Invia risposta'}
        </button>
      </form>
    </section>
  );
}
