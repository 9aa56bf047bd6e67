import { Layout } from '../components/Layout';
import { PageHeading } from '../components/PageHeading';

/** The accessibility statement the AgID guidelines require a link to in the footer. */
export function Dichiarazione() {
  return (
    <Layout nav={false}>
      <PageHeading title="Dichiarazione di accessibilità">Dichiarazione di accessibilità</PageHeading>
      <p>
        L’Istituto Nazionale della Previdenza Sociale si impegna a rendere accessibile il servizio “CRM
        Patronati – Scrivi alla sede” in conformità alla Legge 9 gennaio 2004, n. 4 e alle Linee guida AgID
        sull’accessibilità degli strumenti informatici (norma UNI EN 301549, WCAG 2.1 livello AA).
      </p>
      <h2 className="h4">Stato di conformità</h2>
      <p>
        Il servizio è verificato a ogni modifica con controlli automatici (axe, criteri WCAG 2.1 A e AA) su
        ogni schermata, a 375 e a 1280 pixel di larghezza, e può essere usato con la sola tastiera e con i
        lettori di schermo.
      </p>
      <h2 className="h4">Segnalazioni</h2>
      <p>
        Per segnalare problemi di accessibilità scrivi al responsabile per la transizione al digitale
        dell’Istituto tramite il modulo “Contatti” del portale www.inps.it.
      </p>
    </Layout>
  );
}
