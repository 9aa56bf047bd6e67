import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from './api/problem';

export interface AsyncState<T> {
  data: T | undefined;
  error: ApiError | null;
  loading: boolean;
  reload: () => void;
}

interface Settled<T> {
  key: string;
  data: T | undefined;
  error: ApiError | null;
}

/**
 * Runs `load` when `key` (a string of its inputs) changes; the last answer wins. The previous data
 * stays while the next loads, so a list does not flash empty on each search.
 */
export function useAsync<T>(load: () => Promise<T>, key: string): AsyncState<T> {
  const [tick, setTick] = useState(0);
  const fullKey = `${key}#${tick}`;
  const [state, setState] = useState<Settled<T>>({ key: '', data: undefined, error: null });
  const loadRef = useRef(load);
  useLayoutEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    let live = true;
    loadRef.current().then(
      (data) => live && setState({ key: fullKey, data, error: null }),
      (e) => live && setState((s) => ({ key: fullKey, data: s.data, error: toApiError(e) })),
    );
    return () => {
      live = false;
    };
  }, [fullKey]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.key !== fullKey, reload };
}
