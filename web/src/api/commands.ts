import { api, unwrap } from './client';
import type { components } from './schema';

export type CommandAccepted = components['schemas']['CommandAccepted'];
export type UploadView = components['schemas']['UploadView'];

/** The Idempotency-Key header (declared by only some operations yet: web-needs.md item 7). */
export function idem(key: string) {
  return { 'Idempotency-Key': key } as Record<string, string>;
}

/** Upload one file; its id then rides on a command's `attachments`. */
export async function uploadFile(file: File): Promise<UploadView> {
  const fd = new FormData();
  fd.append('file', file, file.name);
  return unwrap(
    api.POST('/api/v1/uploads', {
      body: fd as unknown as { file: string },
      bodySerializer: (b: unknown) => b as FormData,
    }),
  );
}
