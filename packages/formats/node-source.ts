/** ModelSource over a file on disk: bytes are read on demand through one file handle. */
import { open, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { ModelError, type ModelSource } from './model';

export async function fileSource(path: string): Promise<ModelSource> {
  const name = basename(path);
  let size: number;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ModelError(name, 'is not a file');
    size = st.size;
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(path, 'cannot be read (no such file or no permission)');
  }
  const dir = dirname(resolve(path));
  return {
    name,
    size,
    async read(offset, length) {
      if (offset < 0 || offset + length > size) {
        throw new ModelError(
          name,
          `a read of ${length} bytes at offset ${offset} runs past the end of the file`,
        );
      }
      // one handle per read: sources stay usable after errors and need no close()
      const fh = await open(path, 'r');
      try {
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(out, done, length - done, offset + done);
          if (bytesRead === 0) throw new ModelError(name, 'the file was truncated while reading');
          done += bytesRead;
        }
        return out;
      } finally {
        await fh.close();
      }
    },
    async sibling(relativePath) {
      // a model file may only name files in its own directory tree (no absolute paths, no ..)
      const target = resolve(dir, relativePath);
      const rel = relative(dir, target);
      if (isAbsolute(relativePath) || rel.startsWith('..') || isAbsolute(rel)) return undefined;
      try {
        return await fileSource(target);
      } catch {
        return undefined;
      }
    },
  };
}
