import { useState } from 'react';
import { toApiError, type ApiError } from '../../api/problem';
import { useAsync, type AsyncState } from '../../useAsync';
import { ErrorAlert } from '../ErrorAlert';

interface PageOf<Row> {
  items: Row[];
  next_cursor?: string | null;
}

export interface KeysetList<Row, Page extends PageOf<Row> = PageOf<Row>> {
  /** The first page, read again when `key` changes; null when nothing was asked yet. */
  page: AsyncState<Page | null>;
  /** The first page and every page added by "Carica altri". */
  rows: Row[];
  /** The next page's cursor; null on the last page. */
  cursor: string | null;
  loadMore: () => Promise<void>;
  loadingMore: boolean;
  moreError: ApiError | null;
}

/**
 * A list read page by page on the API's keyset cursor (the patronato's history, the sede's inbox,
 * the auditor's screens): the first page when the filters (`key`) change, the next ones on
 * "Carica altri", no page numbers. `fetchPage` answers null for a list not asked for yet.
 */
export function useKeysetList<Row, Page extends PageOf<Row> = PageOf<Row>>(
  fetchPage: (cursor?: string) => Promise<Page | null>,
  key: string,
): KeysetList<Row, Page> {
  const [more, setMore] = useState<Row[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [moreError, setMoreError] = useState<ApiError | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  const page = useAsync<Page | null>(async () => {
    const r = await fetchPage();
    setMore([]);
    setCursor(r?.next_cursor ?? null);
    return r;
  }, key);

  async function loadMore() {
    if (!cursor) return;
    setLoadingMore(true);
    try {
      const r = await fetchPage(cursor);
      setMore((m) => [...m, ...(r?.items ?? [])]);
      setCursor(r?.next_cursor ?? null);
      setMoreError(null);
    } catch (e) {
      setMoreError(toApiError(e));
    } finally {
      setLoadingMore(false);
    }
  }

  return { page, rows: [...(page.data?.items ?? []), ...more], cursor, loadMore, loadingMore, moreError };
}

/** "Carica altri" under a keyset list, with the error of the last attempt. */
export function LoadMore({ list }: { list: Pick<KeysetList<unknown>, 'cursor' | 'loadMore' | 'loadingMore' | 'moreError'> }) {
  return (
    <>
      <ErrorAlert error={list.moreError} />
      {list.cursor && (
        <button type="button" className="btn btn-outline-primary" onClick={list.loadMore} disabled={list.loadingMore}>
          {list.loadingMore ? 'Caricamento…' : 'Carica altri'}
        </button>
      )}
    </>
  );
}
