/** An error a request caused: answered with its status and a one-sentence message, never a crash. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

type Query = Record<string, unknown>;

export function requiredString(q: Query, name: string): string {
  const v = q[name];
  if (typeof v !== 'string' || v === '') throw new HttpError(400, `the "${name}" parameter is required.`);
  return v;
}

export function optionalNumber(q: Query, name: string, min = -Infinity, max = Infinity): number | undefined {
  const v = q[name];
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'string' ? Number(v) : Number.NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new HttpError(
      400,
      `"${name}" must be a number between ${min} and ${max}, not ${JSON.stringify(v)}.`,
    );
  }
  return n;
}

export function oneOf<T extends string>(q: Query, name: string, values: readonly T[], fallback: T): T {
  const v = q[name];
  if (v === undefined || v === '') return fallback;
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw new HttpError(400, `"${name}" must be one of ${values.join(', ')}, not ${JSON.stringify(v)}.`);
  }
  return v as T;
}

/** A list given as `a,b,c` and/or repeated parameters. */
export function stringList(q: Query, name: string): string[] | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  const items = Array.isArray(v) ? v : [v];
  return items.flatMap((s) => (typeof s === 'string' ? s.split(',') : [])).filter((s) => s !== '');
}
