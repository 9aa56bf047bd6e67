import type { ReactNode } from 'react';
import { useAuth } from '../../auth/AuthContext';
import { Layout } from '../../components/Layout';

/** The citizens' app: "Sportelli di Sede" in the header; the navbar only for a signed-in citizen. */
export function Shell({ children }: { children: ReactNode }) {
  const { me } = useAuth();
  return (
    <Layout title="Sportelli di Sede" home="/prenota" nav={me?.role === 'citizen'}>
      <div className="cittadino">{children}</div>
    </Layout>
  );
}

/** Signed in as a citizen (SPID/CIE/PIN); anyone else uses the app without authentication. */
export function useCitizen(): { signedIn: boolean; codiceFiscale: string | null } {
  const { me } = useAuth();
  const signedIn = me?.role === 'citizen';
  return { signedIn, codiceFiscale: signedIn ? (me?.id ?? null) : null };
}
