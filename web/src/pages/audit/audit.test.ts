import { describe, expect, it } from 'vitest';
import { auditQuery, compareStates, metadataRows } from './audit';

describe('audit screens', () => {
  it('sends only the filled filters and the cursor', () => {
    const p = new URLSearchParams('from_position=10&to_position=&actor=%20op.rossi%20&x=1');
    expect(auditQuery(p, 'c')).toEqual({ from_position: '10', actor: 'op.rossi', cursor: 'c' });
  });

  it('labels the metadata in a fixed order and keeps unknown keys', () => {
    const rows = metadataRows({ correlation_id: 'c1', actor_id: 'op.rossi', actor_role: 'operator', extra: { a: 1 }, sede: null });
    expect(rows).toEqual([['Attore', 'op.rossi'], ['Ruolo', 'operator'], ['Correlazione', 'c1'], ['extra', '{"a":1}']]);
  });

  it('compares the state then and now field by field', () => {
    const rows = compareStates({ status: 'inoltrata', forwards: 0 }, { status: 'chiusa', forwards: 0, closed_at: 'x' });
    expect(rows).toEqual([
      { field: 'closed_at', then: '–', now: 'x', changed: true },
      { field: 'forwards', then: '0', now: '0', changed: false },
      { field: 'status', then: 'inoltrata', now: 'chiusa', changed: true },
    ]);
  });
});
