import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';

type StatisticsQuery = NonNullable<paths['/api/v1/statistics/export']['get']['parameters']['query']>;
type RegionsQuery = NonNullable<paths['/api/v1/statistics/regions']['get']['parameters']['query']>;

/**
 * Saves a blob under a file name. The CSV is fetched with the bearer header and saved from memory
 * (a few kB): a plain link cannot carry the header.
 */
export function saveBlob(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function downloadIndicators(query: StatisticsQuery, filename: string) {
  const blob = await unwrap(api.GET('/api/v1/statistics/export', { params: { query }, parseAs: 'blob' }));
  saveBlob(blob as Blob, filename);
}

export async function downloadRegions(query: Omit<RegionsQuery, 'format'>, filename: string) {
  const blob = await unwrap(api.GET('/api/v1/statistics/regions', { params: { query: { ...query, format: 'csv' } }, parseAs: 'blob' }));
  saveBlob(blob as Blob, filename);
}
