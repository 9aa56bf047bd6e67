import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../api/client';
import { ApiError, toApiError } from '../api/problem';
import { useAuth } from '../auth/AuthContext';
import { finishProviderSignIn } from '../auth/oidc';
import { clearFlash } from '../auth/session';
import { ErrorAlert } from '../components/ErrorAlert';
import { Layout } from '../components/Layout';
import { PageHeading } from '../components/PageHeading';
import { afterSignInPath } from './Accesso';

const REFUSED = new ApiError(0, 'provider_refused', 'L’accesso con l’identity provider non è riuscito o è stato annullato. Riprova.');

/** The provider sends the user back here: the code becomes the session, then on as after any sign-in. */
export function AccessoCallback() {
  const { signIn } = useAuth();
  const navigate = useNavigate();
  const [error, setError] = useState<ApiError | null>(null);
  // The code can be exchanged once: React's development double effect must not try twice.
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    (async () => {
      const config = await unwrap(api.GET('/api/v1/config'));
      if (!config.oidc) throw new ApiError(0, 'provider_not_configured', 'L’accesso con identity provider non è attivo su questo server.');
      let session;
      try {
        session = await finishProviderSignIn(config.oidc);
      } catch {
        throw REFUSED;
      }
      const me = await signIn(session.userId, { token: session.token, expires_at: session.expiresAt });
      navigate(afterSignInPath(me.profiles.length), { replace: true, state: { from: session.from } });
    })().catch((e: unknown) => {
      // A token the service refuses is no expired session: say what happened here instead.
      clearFlash();
      setError(toApiError(e));
    });
  }, [navigate, signIn]);

  return (
    <Layout nav={false}>
      <PageHeading title="Accesso">Accesso</PageHeading>
      {error ? (
        <>
          <ErrorAlert error={error} focus />
          <p>
            <Link to="/accesso">Torna ad Accesso</Link>
          </p>
        </>
      ) : (
        <p role="status">Accesso in corso…</p>
      )}
    </Layout>
  );
}
