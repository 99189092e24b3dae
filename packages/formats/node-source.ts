/** ModelSource over a file on disk: bytes are read on demand through one file descriptor. */
import { closeSync, openSync, read as readAsync, readSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { ModelError, type ModelSource } from './model';

/** An idle descriptor closes after this long, so sources need no close() and never leak descriptors. */
const IDLE_CLOSE_MS = 1000;
/**
 * Opening, stat and reads up to this size are synchronous: a thread-pool round trip costs more than
 * reading a few KiB from the page cache, and far more on a loaded machine (opening a 500 MB ONNX file
 * makes ~30 such reads). Larger reads (weights) stay asynchronous.
 */
const SYNC_READ_LIMIT = 1 << 20;

function readAt(fd: number, out: Uint8Array, at: number, length: number, position: number): Promise<number> {
  return new Promise((res, rej) =>
    readAsync(fd, out, at, length, position, (err, n) => (err ? rej(err) : res(n))),
  );
}

export async function fileSource(path: string): Promise<ModelSource> {
  const name = basename(path);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new ModelError(name, 'is not a file');
    size = st.size;
  } catch (err) {
    if (err instanceof ModelError) throw err;
    throw new ModelError(path, 'cannot be read (no such file or no permission)');
  }
  const dir = dirname(resolve(path));

  // one descriptor shared by concurrent reads, closed when none has run for IDLE_CLOSE_MS
  let fd: number | undefined;
  let inFlight = 0;
  let idle: ReturnType<typeof setTimeout> | undefined;
  const release = () => {
    if (--inFlight > 0) return;
    idle = setTimeout(() => {
      if (fd !== undefined && inFlight === 0) closeSync(fd);
      fd = undefined;
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
        fd ??= openSync(path, 'r');
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const n =
            length <= SYNC_READ_LIMIT
              ? readSync(fd, out, done, length - done, offset + done)
              : await readAt(fd, out, done, length - done, offset + done);
          if (n === 0) throw new ModelError(name, 'the file was truncated while reading');
          done += n;
        }
        return out;
      } catch (err) {
        if (err instanceof ModelError) throw err;
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
