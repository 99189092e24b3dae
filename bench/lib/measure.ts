/** Small helpers shared by the benchmarks: timing, memory, formatting. */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function time<T>(fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  const t0 = performance.now();
  const result = await fn();
  return { ms: performance.now() - t0, result };
}

/** Best of n runs (the least disturbed by other work on a noisy machine). */
export async function best<T>(n: number, fn: () => Promise<T> | T): Promise<{ ms: number; result: T }> {
  let bestRun: { ms: number; result: T } | undefined;
  for (let i = 0; i < n; i++) {
    gc();
    const r = await time(fn);
    if (!bestRun || r.ms < bestRun.ms) bestRun = r;
  }
  return bestRun as { ms: number; result: T };
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
