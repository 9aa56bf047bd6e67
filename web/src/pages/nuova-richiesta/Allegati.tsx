import { useRef, useState } from 'react';
import { toApiError, type ApiError } from '../../api/problem';
import { uuid } from '../../api/ids';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { Icon } from '../../components/Icon';
import { formatBytes } from '../../format';
import type { Upload } from './model';
import { describedBy, FieldError } from './parts';
import { uploadWithProgress } from './upload';

const MAX_ATTACHMENTS = 10;

interface Props {
  files: Upload[];
  onChange: (files: Upload[]) => void;
  /** A refusal of the check about attachments. */
  error: ApiError | null;
}

interface Pending {
  key: string;
  name: string;
  fraction: number;
}

interface Refused {
  key: string;
  name: string;
  error: ApiError;
}

/** "Allegati" (fig. 12–13): each file uploaded with its progress; removal asks for confirmation. */
export function Allegati({ files, onChange, error }: Props) {
  const [pending, setPending] = useState<Pending[]>([]);
  const [refused, setRefused] = useState<Refused[]>([]);
  const [announce, setAnnounce] = useState('');
  const [removing, setRemoving] = useState<Upload | null>(null);
  const input = useRef<HTMLInputElement>(null);
  // The latest list, for uploads that finish one after another.
  const current = useRef(files);
  current.current = files;

  async function add(list: FileList | null) {
    if (!list || list.length === 0) return;
    const chosen = Array.from(list);
    if (input.current) input.current.value = '';
    setRefused([]);
    await Promise.all(
      chosen.map(async (file) => {
        const key = uuid();
        setPending((p) => [...p, { key, name: file.name, fraction: 0 }]);
        try {
          const up = await uploadWithProgress(file, (fraction) =>
            setPending((p) => p.map((x) => (x.key === key ? { ...x, fraction } : x))),
          );
          current.current = [...current.current, up];
          onChange(current.current);
          setAnnounce(`File ${file.name} caricato.`);
        } catch (e) {
          setRefused((r) => [...r, { key, name: file.name, error: toApiError(e) }]);
        } finally {
          setPending((p) => p.filter((x) => x.key !== key));
        }
      }),
    );
  }

  function remove(f: Upload) {
    onChange(files.filter((x) => x.id !== f.id));
    setRemoving(null);
    setAnnounce(`Allegato ${f.filename} rimosso.`);
    input.current?.focus();
  }

  const full = files.length + pending.length >= MAX_ATTACHMENTS;
  return (
    <fieldset className="mb-4">
      <legend className="h5">Allegati (facoltativo)</legend>
      <label htmlFor="allegati-file" className="form-label">
        Aggiungi allegati: PDF, JPEG, PNG, TIFF o firmati .p7m, fino a {MAX_ATTACHMENTS} file
      </label>
      <input ref={input} id="allegati-file" type="file" multiple className="form-control" disabled={full}
        aria-invalid={error ? true : undefined} aria-describedby={describedBy(error && 'allegati-error')}
        onChange={(e) => add(e.target.files)} />
      <FieldError id="allegati-error" error={error} />
      <div className="visually-hidden" aria-live="polite">{announce}</div>

      {pending.length > 0 && (
        <ul className="list-unstyled mt-2">
          {pending.map((p) => (
            <li key={p.key} className="upload-pending">
              <span aria-hidden="true">Caricamento di {p.name}: {Math.round(p.fraction * 100)}%</span>{' '}
              <progress id={`up-${p.key}`} max={1} value={p.fraction} aria-label={`Caricamento di ${p.name}`} />
            </li>
          ))}
        </ul>
      )}
      {refused.map((r) => (
        <div key={r.key} role="alert" className="alert alert-danger mt-2" data-code={r.error.code}>
          {r.name}: {r.error.message}
        </div>
      ))}
      {files.length > 0 && (
        <ul className="list-group mt-2 attachments-list">
          {files.map((f) => (
            <li key={f.id} className="list-group-item d-flex align-items-center justify-content-between gap-2">
              <span>
                <Icon name="it-clip" size="sm" className="me-1" />
                {f.filename} <span className="text-muted">({formatBytes(f.size)})</span>
              </span>
              <button type="button" className="btn btn-link p-1" onClick={() => setRemoving(f)}>
                <Icon name="it-delete" size="sm" color="primary" />
                <span className="visually-hidden">Rimuovi allegato {f.filename}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <ConfirmDialog open={removing !== null} title="Rimozione allegato" confirmLabel="Rimuovi"
        onConfirm={() => removing && remove(removing)} onCancel={() => setRemoving(null)}>
        Vuoi rimuovere l’allegato <strong>{removing?.filename}</strong> dalla richiesta?
      </ConfirmDialog>
    </fieldset>
  );
}
