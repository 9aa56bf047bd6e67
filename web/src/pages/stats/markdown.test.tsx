import { describe, expect, it } from 'vitest';
import { parseMarkdown } from './markdown';
import analytics from '../../../../docs/analytics.md?raw';

describe('the analysts’ documentation as a page', () => {
  it('reads headings, paragraphs, lists, tables and code', () => {
    const blocks = parseMarkdown('# T\n\nUno\ndue.\n\n- a\n  b\n- c\n\n| x | y |\n|---|---|\n| 1 | 2 |\n\n```sql\nSELECT 1;\n```\n');
    expect(blocks).toEqual([
      { kind: 'heading', level: 1, text: 'T' },
      { kind: 'paragraph', text: 'Uno due.' },
      { kind: 'list', items: ['a b', 'c'] },
      { kind: 'table', header: ['x', 'y'], rows: [['1', '2']] },
      { kind: 'code', text: 'SELECT 1;' },
    ]);
  });

  it('finds the SQL views section in docs/analytics.md', () => {
    const headings = parseMarkdown(analytics).filter((b) => b.kind === 'heading').map((b) => (b as { text: string }).text);
    expect(headings.some((h) => h.includes('SQL for analysts'))).toBe(true);
    expect(analytics).toContain('analytics.richieste_per_regione');
  });
});
