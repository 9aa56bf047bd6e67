import { Link } from 'react-router';
import { Layout } from '../components/Layout';
import { PageHeading } from '../components/PageHeading';

export function NotFound() {
  return (
    <Layout nav={false}>
      <PageHeading title="Pagina non trovata">Pagina non trovata</PageHeading>
      <p>L’indirizzo non corrisponde a nessuna pagina del servizio.</p>
      <Link to="/">Torna alla Home</Link>
    </Layout>
  );
}
