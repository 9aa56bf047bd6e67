import { useState, type CSSProperties, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { Field } from '../../components/Field';
import { localToRfc3339 } from './audit';

/** One filter of an auditor's screen; its key is the URL's and the API's query parameter. */
export interface Filter {
  key: string;
  label: string;
  /** The grid columns it takes. */
  className: string;
  /** A time is typed in the browser's zone and kept in the URL as RFC 3339. */
  type?: 'text' | 'number' | 'datetime-local';
  hint?: string;
  required?: boolean;
  /** Typed codes (actors, codici fiscali): no autocompletion. */
  code?: boolean;
  style?: CSSProperties;
}

interface Props {
  /** The search landmark's name. */
  label: string;
  filters: Filter[];
  submit: string;
  /** "Azzera i filtri" beside the submit button. */
  resettable?: boolean;
}

/**
 * The filters of the auditor's screens (Registro eventi, Accessi ai dati personali). They live in
 * the URL: a reload, a shared link and the back button keep them; the page reads them from there.
 */
export function FilterForm({ label, filters, submit, resettable = false }: Props) {
  const [params, setParams] = useSearchParams();
  const empty = () => Object.fromEntries(filters.map((f) => [f.key, '']));
  const [draft, setDraft] = useState<Record<string, string>>(() =>
    Object.fromEntries(filters.map((f) => [f.key, params.get(f.key) ?? ''])));

  function search(e: FormEvent) {
    e.preventDefault();
    const p = new URLSearchParams();
    for (const f of filters) {
      const v = draft[f.key]?.trim() ?? '';
      const value = f.type === 'datetime-local' ? localToRfc3339(v) : v;
      if (value) p.set(f.key, value);
    }
    setParams(p);
  }

  function reset() {
    setDraft(empty());
    setParams(new URLSearchParams());
  }

  return (
    <form className="row g-3 align-items-end" onSubmit={search} role="search" aria-label={label}>
      {filters.map((f) => {
        const v = draft[f.key] ?? '';
        return (
          <Field key={f.key} className={f.className} label={f.label} type={f.type ?? 'text'} hint={f.hint}
            required={f.required} style={f.style} min={f.type === 'number' ? 0 : undefined}
            autoComplete={f.code ? 'off' : undefined}
            // A time that came with the URL is RFC 3339, which a datetime-local field cannot show.
            value={f.type === 'datetime-local' && v.endsWith('Z') ? '' : v}
            onChange={(e) => setDraft({ ...draft, [f.key]: e.target.value })} />
        );
      })}
      <div className="col-12 d-flex gap-2 flex-wrap">
        <button type="submit" className="btn btn-primary">{submit}</button>
        {resettable && <button type="button" className="btn btn-outline-primary" onClick={reset}>Azzera i filtri</button>}
      </div>
    </form>
  );
}
