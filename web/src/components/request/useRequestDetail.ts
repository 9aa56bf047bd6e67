import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { components } from '../../api/schema';
import { useAsync } from '../../useAsync';

export type Detail = components['schemas']['RequestDetail'];
export type Entry = components['schemas']['TimelineItem'];

/**
 * A request's detail and timeline, read together; after a command, `reread(position)` reads them
 * again once the read models have its position (read-your-writes), on either side's page.
 */
export function useRequestDetail(id: string) {
  const [minPosition, setMinPosition] = useState<number | undefined>(undefined);
  const query = minPosition ? { min_position: minPosition } : {};
  const data = useAsync<{ detail: Detail; timeline: Entry[] }>(async () => {
    const [detail, timeline] = await Promise.all([
      unwrap(api.GET('/api/v1/requests/{id}', { params: { path: { id }, query } })),
      unwrap(api.GET('/api/v1/requests/{id}/timeline', { params: { path: { id }, query } })),
    ]);
    return { detail, timeline };
  }, `${id}/${minPosition ?? ''}`);
  return { data, reread: setMinPosition };
}
