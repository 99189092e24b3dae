/**
 * A fetch function that runs at most `limit` requests at a time, first asked first served: a page of
 * heavy chart requests (one tag over 1,000 runs each) would otherwise all share the server at once and
 * the first chart would come last. A request aborted while it waits never starts.
 */
export function requestQueue<T>(
  limit: number,
  fetcher: (url: string, signal?: AbortSignal) => Promise<T>,
): (url: string, signal?: AbortSignal) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  const next = () => {
    running--;
    waiting.shift()?.();
  };
  return (url, signal) =>
    new Promise<T>((resolve, reject) => {
      const start = () => {
        signal?.removeEventListener('abort', cancel);
        running++;
        if (signal?.aborted) {
          reject(new DOMException('aborted', 'AbortError'));
          return next();
        }
        fetcher(url, signal).then(resolve, reject).finally(next);
      };
      const cancel = () => {
        const i = waiting.indexOf(start);
        if (i >= 0) waiting.splice(i, 1);
        reject(new DOMException('aborted', 'AbortError'));
      };
      if (running < limit) return start();
      signal?.addEventListener('abort', cancel, { once: true });
      waiting.push(start);
    });
}
