import { notifySessionExpired } from '../../api/client';
import { ApiError, NETWORK_MESSAGE, problemToError } from '../../api/problem';
import { loadSession } from '../../auth/session';
import type { Upload } from './model';

/**
 * `POST /api/v1/uploads` through XMLHttpRequest: fetch cannot report upload progress. Errors are
 * the API's problem (Italian `detail`), as for every other call.
 */
export function uploadWithProgress(file: File, onProgress: (fraction: number) => void): Promise<Upload> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/uploads');
    const session = loadSession();
    if (session) xhr.setRequestHeader('Authorization', `Bearer ${session.token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(1);
        resolve(body as Upload);
        return;
      }
      if (xhr.status === 401 && session) notifySessionExpired();
      reject(problemToError(xhr.status, body));
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', NETWORK_MESSAGE));
    const fd = new FormData();
    fd.append('file', file, file.name);
    xhr.send(fd);
  });
}
