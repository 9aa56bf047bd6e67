import { useState, type FormEvent } from 'react';
import { api, unwrap } from '../../api/client';
import { ApiError, toApiError } from '../../api/problem';
import { Mono } from '../../components/Mono';
import { formatIsoDay } from '../../format';
import { canSearch, citizenLine, type Citizen, type Search } from './model';
import { describedBy, FieldError, StepNav } from './parts';

interface IndividuazioneProps {
  search: Search;
  onSearch: (s: Search) => void;
  /** The citizen found (unique) or chosen among homonyms. */
  onFound: (c: Citizen) => void;
  error: ApiError | null;
}

const NONE_MESSAGE = 'Nessun cittadino corrisponde ai dati indicati. Verifica i dati e riprova.';

/** Individuazione cittadino (manual §3.2.1, fig. 6–7): by codice fiscale or by Anagrafica. */
export function Individuazione({ search, onSearch, onFound, error: stepError }: IndividuazioneProps) {
  const [candidates, setCandidates] = useState<Citizen[] | null>(null);
  const [picked, setPicked] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const shown = error ?? stepError;

  function change(patch: Partial<Search>) {
    onSearch({ ...search, ...patch });
    setCandidates(null);
    setPicked('');
    setError(null);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (candidates) {
      const c = candidates.find((x) => x.codice_fiscale === picked);
      if (c) onFound(c);
      return;
    }
    setBusy(true);
    setError(null);
    const query =
      search.mode === 'cf'
        ? { codice_fiscale: search.codiceFiscale.trim().toUpperCase() }
        : { surname: search.surname.trim(), name: search.name.trim(), birth_date: search.birthDate };
    try {
      const r = await unwrap(api.GET('/api/v1/citizens', { params: { query } }));
      const found = r.candidates as Citizen[];
      if (r.outcome === 'unique' && found[0]) onFound(found[0]);
      else if (r.outcome === 'choose' && found.length > 0) setCandidates(found);
      else setError(new ApiError(200, 'citizen_none', NONE_MESSAGE));
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  }

  const errId = 'search-error';
  const fieldProps = {
    'aria-invalid': shown ? true : undefined,
    'aria-describedby': describedBy(shown && errId),
  } as const;
  const enabled = candidates ? picked !== '' : canSearch(search);

  return (
    <form onSubmit={submit} noValidate>
      <fieldset className="mb-3">
        <legend className="h5">Cerca il cittadino per</legend>
        <div className="form-check form-check-inline">
          <input id="mode-cf" type="radio" name="mode" checked={search.mode === 'cf'} onChange={() => change({ mode: 'cf' })} />
          <label htmlFor="mode-cf">Codice fiscale</label>
        </div>
        <div className="form-check form-check-inline">
          <input id="mode-anagrafica" type="radio" name="mode" checked={search.mode === 'anagrafica'} onChange={() => change({ mode: 'anagrafica' })} />
          <label htmlFor="mode-anagrafica">Anagrafica</label>
        </div>
      </fieldset>

      {search.mode === 'cf' ? (
        <div className="form-group">
          <label htmlFor="cf" className="active">Codice fiscale</label>
          <input id="cf" className="form-control code-text" autoComplete="off" spellCheck={false} maxLength={16}
            value={search.codiceFiscale} onChange={(e) => change({ codiceFiscale: e.target.value.toUpperCase() })} {...fieldProps} />
        </div>
      ) : (
        <div className="row">
          <div className="form-group col-md-4">
            <label htmlFor="surname" className="active">Cognome</label>
            <input id="surname" className="form-control" autoComplete="off" value={search.surname}
              onChange={(e) => change({ surname: e.target.value })} {...fieldProps} />
          </div>
          <div className="form-group col-md-4">
            <label htmlFor="name" className="active">Nome</label>
            <input id="name" className="form-control" autoComplete="off" value={search.name}
              onChange={(e) => change({ name: e.target.value })} {...fieldProps} />
          </div>
          <div className="form-group col-md-4">
            <label htmlFor="birth" className="active">Data di nascita</label>
            <input id="birth" type="date" className="form-control" value={search.birthDate}
              onChange={(e) => change({ birthDate: e.target.value })} {...fieldProps} />
          </div>
        </div>
      )}
      <FieldError id={errId} error={shown} />

      {candidates && (
        <fieldset className="mt-3" aria-describedby="omonimia-note">
          <legend className="h5">Seleziona il cittadino</legend>
          <p id="omonimia-note" role="status">
            Più cittadini corrispondono ai dati indicati (omonimia o omocodia): seleziona quello per cui inviare la richiesta.
          </p>
          {candidates.map((c) => (
            <div key={c.codice_fiscale} className="form-check candidate">
              <input id={`c-${c.codice_fiscale}`} type="radio" name="candidate" checked={picked === c.codice_fiscale}
                onChange={() => setPicked(c.codice_fiscale)} aria-describedby={`c-${c.codice_fiscale}-line`} />
              <label htmlFor={`c-${c.codice_fiscale}`}>
                {c.name.toUpperCase()} – {c.surname.toUpperCase()} – <Mono>{c.codice_fiscale}</Mono>
              </label>
              <p id={`c-${c.codice_fiscale}-line`} className="candidate-line">{citizenLine(c, formatIsoDay)}</p>
            </div>
          ))}
        </fieldset>
      )}

      <StepNav>
        <button type="submit" className="btn btn-primary steppers-btn-confirm" disabled={!enabled || busy}>
          {busy ? 'Ricerca in corso…' : 'Continua'}
        </button>
      </StepNav>
    </form>
  );
}

interface ConfermaProps {
  citizen: Citizen;
  mandate: boolean;
  onMandate: (v: boolean) => void;
  onBack: () => void;
  onNext: () => void;
  error: ApiError | null;
}

/** Conferma utente (fig. 8): the citizen's data and the delega. */
export function ConfermaUtente({ citizen, mandate, onMandate, onBack, onNext, error }: ConfermaProps) {
  const r = citizen.residence;
  return (
    <form onSubmit={(e) => { e.preventDefault(); if (mandate) onNext(); }} noValidate>
      <dl className="row citizen-data">
        <dt className="col-sm-4">Nome e cognome</dt>
        <dd className="col-sm-8">{citizen.name} {citizen.surname}</dd>
        <dt className="col-sm-4">Codice fiscale</dt>
        <dd className="col-sm-8"><Mono>{citizen.codice_fiscale}</Mono></dd>
        <dt className="col-sm-4">Data e luogo di nascita</dt>
        <dd className="col-sm-8">
          {formatIsoDay(citizen.birth_date)}
          {citizen.birth_place ? `, ${citizen.birth_place}${citizen.birth_province ? ` (${citizen.birth_province})` : ''}` : ''}
        </dd>
        <dt className="col-sm-4">Residenza</dt>
        <dd className="col-sm-8">
          {r && (r.address || r.municipality)
            ? [r.address, [r.cap, r.municipality].filter(Boolean).join(' ')].filter(Boolean).join(', ') + (r.province ? ` (${r.province})` : '')
            : `CAP ${citizen.cap}`}
        </dd>
      </dl>
      <div className="form-check">
        <input id="mandate" type="checkbox" checked={mandate} onChange={(e) => onMandate(e.target.checked)}
          aria-invalid={error ? true : undefined} aria-describedby={describedBy(error && 'mandate-error')} />
        <label htmlFor="mandate">
          Dichiaro di essere in possesso della delega a procedere all’invio della richiesta per conto del cittadino
        </label>
      </div>
      <FieldError id="mandate-error" error={error} />
      <StepNav onBack={onBack}>
        <button type="submit" className="btn btn-primary steppers-btn-confirm" disabled={!mandate}>Continua</button>
      </StepNav>
    </form>
  );
}
