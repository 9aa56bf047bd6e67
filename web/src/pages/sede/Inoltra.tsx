import { useId, useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { ErrorAlert } from '../../components/ErrorAlert';
import { Field } from '../../components/Field';
import { useAsync } from '../../useAsync';

type Sede = components['schemas']['SedeView'];

interface Props {
  currentSede: string;
  busy: boolean;
  onForward: (to: Sede, reason: string) => void;
  onCancel: () => void;
}

/** The sedi a request may go to: active ones, not the current one. */
export function forwardTargets(list: Sede[], current: string): Sede[] {
  return list.filter((s) => s.active && s.code !== current);
}

/** "Inoltra ad altra sede": a searchable list of sedi, the reason, then a confirmation. */
export function Inoltra({ currentSede, busy, onForward, onCancel }: Props) {
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Sede | null>(null);
  const [reason, setReason] = useState('');
  const [confirm, setConfirm] = useState(false);
  const listId = useId();
  const term = name.trim();
  const sedi = useAsync<Sede[]>(async () => {
    if (term.length < 2) return [];
    return unwrap(api.GET('/api/v1/sedi', { params: { query: { name: term, limit: 20 } } }));
  }, term);
  const options = forwardTargets(sedi.data ?? [], currentSede);

  return (
    <section aria-labelledby="inoltra" className="mb-4 p-3 border rounded">
      <h2 id="inoltra" className="h4">Inoltra ad altra sede</h2>
      <Field label="Cerca la sede per nome" value={name} autoComplete="off" hint="Almeno 2 lettere, ad esempio «Milano»."
        onChange={(e) => { setName(e.target.value); setChosen(null); }} />
      <div aria-live="polite" className="small my-2">
        {term.length >= 2 && !sedi.loading && (options.length === 0 ? 'Nessuna sede trovata.' : `Sedi trovate: ${options.length}.`)}
      </div>
      <ErrorAlert error={sedi.error} />
      {options.length > 0 && (
        <fieldset>
          <legend className="h6">Sede di destinazione</legend>
          <ul id={listId} className="list-unstyled sede-choices">
            {options.map((s) => (
              <li key={s.code} className="form-check">
                <input className="form-check-input" type="radio" name="forward-sede" id={`sede-${s.code}`}
                  checked={chosen?.code === s.code} onChange={() => setChosen(s)} />
                <label className="form-check-label" htmlFor={`sede-${s.code}`}>
                  {s.name} ({s.code}){s.city ? ` – ${s.city}` : ''}
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
      )}
      <div className="form-group">
        <label htmlFor="forward-reason" className="active">Motivo dell’inoltro</label>
        <textarea id="forward-reason" className="form-control" rows={3} value={reason} onChange={(e) => setReason(e.target.value)} />
      </div>
      <div className="d-flex gap-2 flex-wrap">
        <button type="button" className="btn btn-primary" disabled={!chosen || reason.trim() === '' || busy}
          onClick={() => setConfirm(true)}>
          Inoltra
        </button>
        <button type="button" className="btn btn-outline-primary" onClick={onCancel}>Annulla inoltro</button>
      </div>
      <ConfirmDialog open={confirm} title="Conferma l’inoltro" confirmLabel="Conferma inoltro"
        onConfirm={() => { setConfirm(false); if (chosen) onForward(chosen, reason.trim()); }} onCancel={() => setConfirm(false)}>
        <p>La richiesta sarà inoltrata alla sede {chosen?.name} e non sarà più visibile per la tua sede. Confermi?</p>
      </ConfirmDialog>
    </section>
  );
}
