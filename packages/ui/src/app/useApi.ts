import { useEffect, useState } from 'react';
import { getJson } from './api';

// Responses by URL, so a tab switched back to draws at once and then refreshes.
const cache = new Map<string, { version: number; data: unknown }>();

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/**
 * GET `url` (nothing when null) and refetch whenever `version` changes; the previous data stays
 * on screen while the new one loads, so live updates do not flicker.
 */
export function useApi<T>(url: string | null, version = 0): ApiState<T> {
  const cached = url ? cache.get(url) : undefined;
  const [state, setState] = useState<ApiState<T>>({
    data: (cached?.data as T) ?? null,
    error: null,
    loading: !!url,
  });
  useEffect(() => {
    if (!url) return;
    const hit = cache.get(url);
    if (hit && hit.version === version) {
      setState({ data: hit.data as T, error: null, loading: false });
      return;
    }
    const ctrl = new AbortController();
    setState((s) => ({ data: (hit?.data as T) ?? s.data, error: null, loading: true }));
    getJson<T>(url, ctrl.signal).then(
      (data) => {
        cache.set(url, { version, data });
        setState({ data, error: null, loading: false });
      },
      (e: Error) => {
        if (e.name !== 'AbortError') setState((s) => ({ data: s.data, error: e.message, loading: false }));
      },
    );
    return () => ctrl.abort();
  }, [url, version]);
  return state;
}

/** Several GETs at once (e.g. one per run); results in the order of `urls`, null until each arrives. */
export function useApiAll<T>(urls: string[], version = 0): { data: (T | null)[]; error: string | null } {
  const key = urls.join('\n');
  const [state, setState] = useState<{ key: string; data: (T | null)[]; error: string | null }>(() => ({
    key,
    data: urls.map((u) => (cache.get(u)?.data as T) ?? null),
    error: null,
  }));
  useEffect(() => {
    const list = key ? key.split('\n') : [];
    const ctrl = new AbortController();
    setState((s) => ({
      key,
      data: list.map((u, i) => (cache.get(u)?.data as T) ?? (s.key === key ? s.data[i] : null) ?? null),
      error: null,
    }));
    Promise.all(
      list.map((u) => {
        const hit = cache.get(u);
        if (hit && hit.version === version) return Promise.resolve(hit.data as T);
        return getJson<T>(u, ctrl.signal).then((d) => {
          cache.set(u, { version, data: d });
          return d;
        });
      }),
    ).then(
      (data) => setState({ key, data, error: null }),
      (e: Error) => {
        if (e.name !== 'AbortError') setState((s) => ({ ...s, error: e.message }));
      },
    );
    return () => ctrl.abort();
  }, [key, version]);
  return { data: state.key === key ? state.data : urls.map(() => null), error: state.error };
}
