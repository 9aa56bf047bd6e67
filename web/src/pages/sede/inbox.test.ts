import { describe, expect, it } from 'vitest';
import { bucketOf, inboxQuery } from './inbox';

describe('inbox', () => {
  it('starts on the new requests and ignores an unknown bucket', () => {
    expect(bucketOf(new URLSearchParams())).toBe('new');
    expect(bucketOf(new URLSearchParams('bucket=overdue'))).toBe('overdue');
    expect(bucketOf(new URLSearchParams('bucket=xyz'))).toBe('new');
  });

  it('sends the non-empty filters with the bucket and the cursor', () => {
    const p = new URLSearchParams('bucket=all&subject=%20naspi%20&codice_fiscale=rssmra60e12h501e&protocol=&foo=1');
    expect(inboxQuery(p, 'all', 'c1')).toEqual({ bucket: 'all', subject: 'naspi', codice_fiscale: 'RSSMRA60E12H501E', cursor: 'c1' });
  });
});
