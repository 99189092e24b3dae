/** Small helpers shared by the benchmarks: timing, memory, formatting. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export interface Timed<T> {
  /** wall-clock milliseconds */
  ms: number;
  /** CPU milliseconds of this process (user + system, all threads): what the work costs a core,
   * much less sensitive than wall time to other work on a shared machine */
  cpuMs: number;
  result: T;
}

export async function time<T>(fn: () => Promise<T> | T): Promise<Timed<T>> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, result };
}

/** Best of n runs (the least disturbed by other work on a noisy machine), by CPU time. */
export async function best<T>(n: number, fn: () => Promise<T> | T): Promise<Timed<T>> {
  let bestRun: Timed<T> | undefined;
  for (let i = 0; i < n; i++) {
    gc();
    const r = await time(fn);
    if (!bestRun || r.cpuMs < bestRun.cpuMs) bestRun = r;
  }
  return bestRun as Timed<T>;
}

export const mb = (bytes: number) => bytes / (1 << 20);
export const fmt = (x: number, digits = 1) => x.toFixed(digits);

export function table(rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map(String));
  const widths = cells[0].map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  return cells
    .map((r) => r.map((x, c) => (c ? x.padStart(widths[c]) : x.padEnd(widths[c]))).join('  '))
    .join('\n');
}
