import { useEffect, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { ApiError, toApiError } from '../api/problem';
import { useAuth } from '../auth/AuthContext';
import { clearFlash, peekFlash } from '../auth/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { Layout } from '../components/Layout';
import { PageHeading } from '../components/PageHeading';
import { useAsync } from '../useAsync';
import { startProviderSignIn } from '../auth/oidc';

const PROVIDER_UNREACHABLE = new ApiError(0, 'provider_unreachable', 'L’identity provider non risponde. Riprova tra qualche minuto.');

const PATRONATO_ROLES = new Set(['operator', 'patronato_admin', 'regional_referent']);

/** Where a user goes once signed in: the choice of profile for a referent, else the Informativa. */
export function afterSignInPath(profiles: number): string {
  return profiles > 1 ? '/scelta-profilo' : '/informativa';
}

/**
 * "Accesso": the identity provider's sign-in when the service has one (GET /api/v1/config), and
 * in development the demo users of reference/demo.json (COMBIPAT_DEV_LOGIN=1).
 */
export function Accesso() {
  const { me, signIn } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  // Read once, then cleared: a reload of Accesso does not repeat it.
  const [flash] = useState(() => peekFlash());
  useEffect(() => clearFlash(), []);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const config = useAsync(() => unwrap(api.GET('/api/v1/config')), 'config');
  const devLogin = config.data?.dev_login === true;
  const provider = config.data?.oidc;
  const users = useAsync(
    () => (devLogin ? unwrap(api.GET('/api/v1/dev/users')) : Promise.resolve(undefined)),
    `users-${devLogin}`,
  );

  if (me && !busy) return <Navigate to={from ?? '/'} replace />;

  async function choose(userId: string) {
    setBusy(userId);
    setError(null);
    try {
      const token = await unwrap(api.POST('/api/v1/dev/session', { body: { user_id: userId } }));
      const m = await signIn(userId, token);
      navigate(afterSignInPath(m.profiles.length), { state: { from } });
    } catch (e) {
      setError(toApiError(e));
      setBusy(null);
    }
  }

  async function toProvider() {
    if (!provider) return;
    setBusy('provider');
    setError(null);
    try {
      await startProviderSignIn(provider, from);
    } catch {
      setError(PROVIDER_UNREACHABLE);
      setBusy(null);
    }
  }

  const patronato = users.data?.filter((u) => PATRONATO_ROLES.has(u.role)) ?? [];
  const others = users.data?.filter((u) => !PATRONATO_ROLES.has(u.role)) ?? [];

  return (
    <Layout nav={false}>
      <PageHeading title="Accesso">Accesso</PageHeading>
      {flash && (
        <div className="alert alert-warning" role="alert">
          {flash}
        </div>
      )}
      <p className="lead">
        Accedi al servizio “Scrivi alla sede” del CRM Patronati. In produzione l’accesso avviene con le
        credenziali dell’identity provider dell’Istituto.
      </p>
      <ErrorAlert error={error} focus />
      {config.loading && <p role="status">Caricamento delle modalità di accesso…</p>}
      <ErrorAlert error={config.error} />
      {provider && (
        <section aria-labelledby="provider-sign-in" className="mb-4">
          <h2 id="provider-sign-in" className="h4">Accesso con identità digitale</h2>
          <p>Sarai indirizzato all’identity provider dell’Istituto e poi riportato qui.</p>
          <button type="button" className="btn btn-primary" disabled={busy !== null} onClick={toProvider}>
            {busy === 'provider' ? 'Reindirizzamento in corso…' : 'Entra con SPID o CIE'}
          </button>
        </section>
      )}
      {config.data && !provider && !devLogin && (
        <div className="alert alert-info" role="status">
          L’accesso con gli utenti di prova non è attivo su questo server.
        </div>
      )}
      {devLogin && users.loading && <p role="status">Caricamento degli utenti di prova…</p>}
      <ErrorAlert error={users.error} />
      {users.data && (
        <section aria-labelledby="demo-users">
          <h2 id="demo-users" className="h4">Utenti di prova</h2>
          <ul className="list-unstyled row g-3">
            {[...patronato, ...others].map((u) => (
              <li key={u.id} className="col-12 col-md-6 col-lg-4">
                <div className="card card-bg h-100">
                  <div className="card-body">
                    <h3 className="card-title h5">{u.display_name}</h3>
                    <p className="card-text mb-2">
                      {u.role_label}
                      <br />
                      <span className="text-muted">{u.scope_label}</span>
                    </p>
                    <button
                      type="button"
                      className="btn btn-primary btn-sm"
                      disabled={busy !== null}
                      aria-label={`Accedi come ${u.display_name}, ${u.role_label}`}
                      onClick={() => choose(u.id)}
                    >
                      {busy === u.id ? 'Accesso in corso…' : 'Accedi'}
                    </button>
                  </div>
                </div>
              </li>
            ))}
          </ul>
        </section>
      )}
    </Layout>
  );
}
