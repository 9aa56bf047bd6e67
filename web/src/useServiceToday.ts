import { api, unwrap } from './api/client';
import type { ApiError } from './api/problem';
import { useAsync } from './useAsync';

/**
 * The service's day in Europe/Rome ("YYYY-MM-DD"), from `GET /clock`: screens that start from
 * "today" use the day the rules use (the manual clock in demos and tests), not the browser's date.
 * `null` until it is known.
 */
export function useServiceToday(): { today: string | null; error: ApiError | null } {
  const clock = useAsync(() => unwrap(api.GET('/api/v1/clock')), 'clock');
  return { today: clock.data?.today ?? null, error: clock.error };
}
