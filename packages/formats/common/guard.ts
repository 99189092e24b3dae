/**
 * The last line of "never crash": any unexpected exception while opening a file or reading one of its
 * tensors (a bounds error on a damaged table, say) becomes a one-sentence ModelError naming the file.
 */
import { type Model, ModelError } from '../model';

export async function guard<T>(file: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ModelError) throw e;
    const detail = String((e as Error)?.message ?? e)
      .replace(/\s+/g, ' ')
      .trim();
    throw new ModelError(file, `it is damaged or truncated (${detail})`);
  }
}

/** opens through `open` and guards the model's tensor reads too */
export async function guardedOpen(file: string, open: () => Promise<Model>): Promise<Model> {
  const model = await guard(file, open);
  for (const t of model.tensors) {
    const read = t.read;
    t.read = () => guard(file, () => read.call(t));
  }
  return model;
}
