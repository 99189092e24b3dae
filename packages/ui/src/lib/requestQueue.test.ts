import { describe, expect, it } from 'vitest';
import { requestQueue } from './requestQueue';

/** A fetcher whose answers the test releases by hand, recording which URLs started. */
function manual() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const fetcher = (url: string) =>
    new Promise<string>((resolve) => {
      started.push(url);
      release.set(url, () => resolve(`body of ${url}`));
    });
  return { started, release, fetcher };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('requestQueue', () => {
  it('runs at most `limit` requests, the rest in the order asked', async () => {
    const m = manual();
    const get = requestQueue(2, m.fetcher);
    const answers = ['a', 'b', 'c', 'd'].map((u) => get(u));
    await tick();
    expect(m.started).toEqual(['a', 'b']);
    m.release.get('b')!();
    await tick();
    expect(m.started).toEqual(['a', 'b', 'c']);
    m.release.get('a')!();
    m.release.get('c')!();
    await tick();
    expect(m.started).toEqual(['a', 'b', 'c', 'd']);
    m.release.get('d')!();
    expect(await Promise.all(answers)).toEqual(['body of a', 'body of b', 'body of c', 'body of d']);
  });

  it('never starts a request aborted while it waits, and passes its turn on', async () => {
    const m = manual();
    const get = requestQueue(1, m.fetcher);
    const a = get('a');
    const ctrl = new AbortController();
    const b = get('b', ctrl.signal);
    const c = get('c');
    ctrl.abort();
    await expect(b).rejects.toThrow('aborted');
    m.release.get('a')!();
    await a;
    await tick();
    expect(m.started).toEqual(['a', 'c']);
    m.release.get('c')!();
    expect(await c).toBe('body of c');
  });
});
