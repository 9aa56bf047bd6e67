import { useState, type FormEvent } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { toApiError, type ApiError } from '../api/problem';
import { useAuth, useMe } from '../auth/AuthContext';
import { ErrorAlert } from '../components/ErrorAlert';
import { PageHeading } from '../components/PageHeading';

/** "Scelta del profilo" (manual §4.1): a regional referent picks the profile to work with. */
export function SceltaProfilo() {
  const me = useMe();
  const { adoptToken } = useAuth();
  const navigate = useNavigate();
  const from = (useLocation().state as { from?: string } | null)?.from;
  const [profile, setProfile] = useState(me.active_profile ?? me.profiles[0]?.id ?? '');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const token = await unwrap(api.POST('/api/v1/me/profile', { body: { profile } }));
      await adoptToken(token);
      navigate('/informativa', { state: { from } });
    } catch (err) {
      setError(toApiError(err));
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading title="Scelta del profilo">Scelta del profilo</PageHeading>
      <p>Seleziona il profilo con cui accedere al servizio “Scrivi alla sede”.</p>
      <ErrorAlert error={error} focus />
      <form onSubmit={submit}>
        <fieldset className="mb-4">
          <legend className="h5">Profilo di accesso</legend>
          {me.profiles.map((p) => (
            <div className="form-check" key={p.id}>
              <input
                className="form-check-input"
                type="radio"
                name="profile"
                id={`profile-${p.id}`}
                value={p.id}
                checked={profile === p.id}
                onChange={() => setProfile(p.id)}
              />
              <label className="form-check-label" htmlFor={`profile-${p.id}`}>
                {p.label}
              </label>
            </div>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={busy || !profile}>
          Continua
        </button>
      </form>
    </>
  );
}
