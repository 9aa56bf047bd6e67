import { Link } from 'react-router';
import { PageHeading } from '../../components/PageHeading';
import analytics from '../../../../docs/analytics.md?raw';
import { Markdown, parseMarkdown } from './markdown';

const blocks = parseMarkdown(analytics).filter((b, i) => !(i === 0 && b.kind === 'heading'));

/**
 * The documented SQL views and the meaning of every indicator: docs/analytics.md itself, bundled
 * at build time, so the page and the repository never disagree (decision S6). Written in English
 * like every document of docs/; the SQL objects have Italian names.
 */
export function VisteSql() {
  return (
    <>
      <PageHeading title="Viste SQL">Viste SQL e definizioni degli indicatori</PageHeading>
      <p>
        <Link to="/cruscotto">Torna al cruscotto</Link>. Il documento tecnico (in inglese) che descrive gli indicatori, le tabelle e lo
        schema <code>analytics</code> per il ruolo di sola lettura <code>combipat_analyst</code>.
      </p>
      <div lang="en" className="sql-doc">
        <Markdown blocks={blocks} />
      </div>
    </>
  );
}
