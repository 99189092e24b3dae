/** ModelSource over a file on disk: bytes are read on demand through one file handle. */
import { type FileHandle, open, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { ModelError, type ModelSource } from './model';

/** An idle handle closes after this long, so sources need no close() and never leak descriptors. */
const IDLE_CLOSE_MS = 1000;

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

  // one handle shared by concurrent reads, closed when none has run for IDLE_CLOSE_MS
  let handle: Promise<FileHandle> | undefined;
  let inFlight = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    if (--inFlight > 0) return;
    idle = setTimeout(() => {
      const h = handle;
      handle = undefined;
      h?.then((fh) => fh.close()).catch(() => {});
    }, IDLE_CLOSE_MS);
    idle.unref();
  };

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
      clearTimeout(idle);
      inFlight++;
      try {
        handle ??= open(path, 'r');
        const fh = await handle;
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(out, done, length - done, offset + done);
          if (bytesRead === 0) throw new ModelError(name, 'the file was truncated while reading');
          done += bytesRead;
        }
        return out;
      } catch (err) {
        if (err instanceof ModelError) throw err;
        handle = undefined;
        throw new ModelError(name, 'cannot be read any more (it was moved or deleted)');
      } finally {
        release();
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
