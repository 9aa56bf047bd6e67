import type { ReactNode } from 'react';

// Just enough Markdown for docs/analytics.md (headings, paragraphs, lists, tables, code): the
// analysts read the same text the repository keeps, with no Markdown library for one page.

export type Block =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'paragraph'; text: string }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; header: string[]; rows: string[][] }
  | { kind: 'code'; text: string };

const cells = (line: string) => line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim());

export function parseMarkdown(source: string): Block[] {
  const lines = source.replace(/\r\n/g, '\n').split('\n');
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.startsWith('```')) {
      const code: string[] = [];
      for (i++; i < lines.length && !lines[i]!.startsWith('```'); i++) code.push(lines[i]!);
      blocks.push({ kind: 'code', text: code.join('\n') });
      i++;
    } else if (/^#{1,6} /.test(line)) {
      const level = line.indexOf(' ');
      blocks.push({ kind: 'heading', level, text: line.slice(level + 1).trim() });
      i++;
    } else if (line.trim().startsWith('|')) {
      const table: string[] = [];
      for (; i < lines.length && lines[i]!.trim().startsWith('|'); i++) table.push(lines[i]!);
      const [head, , ...body] = table;
      blocks.push({ kind: 'table', header: cells(head ?? ''), rows: body.map(cells) });
    } else if (/^\s*[-*] /.test(line)) {
      const items: string[] = [];
      for (; i < lines.length && lines[i]!.trim() !== '' && !lines[i]!.startsWith('#'); i++) {
        const l = lines[i]!;
        if (/^\s*[-*] /.test(l)) items.push(l.replace(/^\s*[-*] /, ''));
        else items[items.length - 1] += ` ${l.trim()}`;
      }
      blocks.push({ kind: 'list', items });
    } else if (line.trim() === '') {
      i++;
    } else {
      const text: string[] = [];
      for (; i < lines.length && lines[i]!.trim() !== '' && !/^(#{1,6} |```|\s*\||\s*[-*] )/.test(lines[i]!); i++) text.push(lines[i]!.trim());
      blocks.push({ kind: 'paragraph', text: text.join(' ') });
    }
  }
  return blocks;
}

/** `code`, **bold** and *emphasis* inside a line; everything else is text (never HTML). */
export function inline(text: string): ReactNode[] {
  return text.split(/(`[^`]+`|\*\*[^*]+\*\*|\*[^*\s][^*]*\*)/g).filter(Boolean).map((part, i) => {
    if (part.startsWith('`')) return <code key={i}>{part.slice(1, -1)}</code>;
    if (part.startsWith('**')) return <strong key={i}>{part.slice(2, -2)}</strong>;
    if (part.startsWith('*') && part.length > 2) return <em key={i}>{part.slice(1, -1)}</em>;
    return part;
  });
}

/** The blocks as HTML; headings one level down, so that the page's own h1 stays the only one. */
export function Markdown({ blocks }: { blocks: Block[] }) {
  return (
    <>
      {blocks.map((b, i) => {
        switch (b.kind) {
          case 'heading': {
            const H = `h${Math.min(6, b.level + 1)}` as 'h2';
            return <H key={i}>{inline(b.text)}</H>;
          }
          case 'paragraph':
            return <p key={i}>{inline(b.text)}</p>;
          case 'list':
            return <ul key={i}>{b.items.map((it, j) => <li key={j}>{inline(it)}</li>)}</ul>;
          case 'code':
            return <pre key={i} className="sql-doc-code" tabIndex={0}><code>{b.text}</code></pre>;
          case 'table':
            return (
              <div key={i} className="table-responsive">
                <table className="table table-sm">
                  <thead><tr>{b.header.map((h, j) => <th key={j} scope="col">{inline(h)}</th>)}</tr></thead>
                  <tbody>{b.rows.map((r, j) => <tr key={j}>{r.map((c, k) => <td key={k}>{inline(c)}</td>)}</tr>)}</tbody>
                </table>
              </div>
            );
        }
      })}
    </>
  );
}
