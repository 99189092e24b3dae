import { useEffect, useRef, useState } from 'react';
import { getJson } from './api';

// Responses by URL, so a tab switched back to draws at once and then refreshes.
const cache = new Map<string, { version: number; data: unknown }>();
// Requests started before any component asked (prefetchJson), by URL.
const early = new Map<string, Promise<unknown>>();

/**
 * Starts a GET the page will make once React has rendered (e.g. the first chart's data as soon as the
 * run list arrives); the component that asks for it then waits for this request instead of a new one.
 */
export function prefetchJson<T>(url: string, fetcher: (url: string) => Promise<T> = getJson): void {
  if (cache.has(url) || early.has(url)) return;
  const p = fetcher(url)
    .then((data) => cache.set(url, { version: 0, data }))
    .finally(() => early.delete(url));
  p.catch(() => {}); // the component's own request reports errors
  early.set(
    url,
    p.then(
      () => cache.get(url)?.data,
      () => undefined, // failed: the component asks again itself
    ),
  );
}

export interface ApiState<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** GET `url` (nothing when null), again whenever `version` changes; see useApiAll. */
export function useApi<T>(url: string | null, version = 0): ApiState<T> {
  const { data, error, loading } = useApiAll<T>(url ? [url] : [], version);
  return { data: data[0] ?? null, error, loading };
}

/**
 * Several GETs at once (e.g. one per run), results in the order of `urls`, null until each arrives.
 * Live data bumps `version` many times a second while a run is written; a bump never aborts the
 * request in flight (that would starve the page under a steady stream): it asks for one more
 * round after it. The previous data stays on screen meanwhile, so updates do not flicker.
 */
export function useApiAll<T>(
  urls: string[],
  version = 0,
  fetcher: (url: string, signal?: AbortSignal) => Promise<T> = getJson,
): { data: (T | null)[]; error: string | null; loading: boolean } {
  const key = urls.join('\n');
  const keyRef = useRef(key);
  keyRef.current = key;
  const [state, setState] = useState<{
    key: string;
    data: (T | null)[];
    error: string | null;
    loading: boolean;
  }>(() => ({
    key,
    data: urls.map((u) => (cache.get(u)?.data as T) ?? null),
    error: null,
    loading: urls.length > 0,
  }));
  const inFlight = useRef<{ key: string; ctrl: AbortController } | null>(null);
  const again = useRef(false);
  const [round, setRound] = useState(0);

  // biome-ignore lint/correctness/useExhaustiveDependencies: `round` asks for one more fetch after a busy one
  useEffect(() => {
    const list = key ? key.split('\n') : [];
    if (inFlight.current?.key === key) {
      again.current = true; // a newer version arrived while this key is being fetched
      return;
    }
    inFlight.current?.ctrl.abort(); // the URLs changed: the old answer is of no use
    const ctrl = new AbortController();
    inFlight.current = { key, ctrl };
    setState((s) => ({
      key,
      data: list.map((u, i) => (cache.get(u)?.data as T) ?? (s.key === key ? s.data[i] : null) ?? null),
      error: null,
      loading: list.length > 0,
    }));
    Promise.all(
      list.map((u) => {
        const hit = cache.get(u);
        if (hit && hit.version === version) return Promise.resolve(hit.data as T);
        const started = version === 0 ? early.get(u) : undefined;
        if (started) return started.then((d) => (d === undefined ? fetcher(u, ctrl.signal) : (d as T)));
        return fetcher(u, ctrl.signal).then((d) => {
          cache.set(u, { version, data: d });
          return d;
        });
      }),
    )
      .then(
        (data) => {
          if (keyRef.current === key) setState({ key, data, error: null, loading: false });
        },
        (e: Error) => {
          if (e.name !== 'AbortError' && keyRef.current === key)
            setState((s) => ({ ...s, error: e.message, loading: false }));
        },
      )
      .finally(() => {
        if (inFlight.current?.ctrl !== ctrl) return;
        inFlight.current = null;
        if (again.current) {
          again.current = false;
          setRound((r) => r + 1);
        }
      });
  }, [key, version, round]);

  // leaving the page (or this chart) cancels what is still loading
  useEffect(() => () => inFlight.current?.ctrl.abort(), []);

  return {
    data: state.key === key ? state.data : urls.map((u) => (cache.get(u)?.data as T) ?? null),
    error: state.error,
    loading: state.loading,
  };
}
