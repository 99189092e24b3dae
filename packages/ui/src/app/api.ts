/**
 * Talking to the server: JSON GETs, blob URLs and the event stream. A `?token=` in the page URL
 * (printed by `tensorscope serve` on a non-loopback host) is sent as a bearer token on fetches and as a
 * query parameter where a header cannot be set (img/audio src, EventSource).
 */
const token = new URLSearchParams(location.search).get('token');

export type Params = Record<string, string | number | undefined | null>;

export function apiPath(path: string, params: Params = {}, withToken = false): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, String(v));
  if (withToken && token) q.set('token', token);
  const s = q.toString();
  return `/api/${path}${s ? `?${s}` : ''}`;
}

export class ApiError extends Error {}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { signal, headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!res.ok) {
    let detail = res.statusText;
    try {
      const body = (await res.json()) as { error?: string; message?: string };
      detail = body.error ?? body.message ?? detail;
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(`${url.split('?')[0]} answered ${res.status}: ${detail}`);
  }
  return (await res.json()) as T;
}

/** URL of an image or audio clip's bytes, usable as an element's src. */
export function blobUrl(run: string, tag: string, step: number, index: number): string {
  return apiPath('blob', { run, tag, step, index }, true);
}

export function eventsUrl(): string {
  return apiPath('events', {}, true);
}
