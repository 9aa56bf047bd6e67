import { useEffect, useState } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { toApiError, type ApiError } from '../api/problem';
import { useAuth } from '../auth/AuthContext';
import { clearFlash, peekFlash } from '../auth/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { Layout } from '../components/Layout';
import { PageHeading } from '../components/PageHeading';
import { useAsync } from '../useAsync';

const PATRONATO_ROLES = new Set(['operator', 'patronato_admin', 'regional_referent']);

/** "Accesso": in development, the demo users of reference/demo.json (COMBIPAT_DEV_LOGIN=1). */
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
  const users = useAsync(() => unwrap(api.GET('/api/v1/dev/users')), 'users');

  if (me && !busy) return <Navigate to={from ?? '/'} replace />;

  async function choose(userId: string) {
    setBusy(userId);
    setError(null);
    try {
      const token = await unwrap(api.POST('/api/v1/dev/session', { body: { user_id: userId } }));
      const m = await signIn(userId, token);
      if (m.profiles.length > 1) navigate('/scelta-profilo', { state: { from } });
      else navigate('/informativa', { state: { from } });
    } catch (e) {
      setError(toApiError(e));
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
      {users.loading && <p role="status">Caricamento degli utenti di prova…</p>}
      {users.error &&
        (users.error.status === 404 ? (
          <div className="alert alert-info" role="status">
            L’accesso con gli utenti di prova non è attivo su questo server.
          </div>
        ) : (
          <ErrorAlert error={users.error} />
        ))}
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
