/**
 * Test-only ModelSources: over a file on disk and over bytes in memory (crafted files).
 * Node-only; format code never imports this.
 */
import { open, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { ModelSource } from '../model';

export interface CountingSource extends ModelSource {
  /** bytes read so far, to prove that open() reads no weights */
  bytesRead: number;
}

export async function testFileSource(path: string): Promise<CountingSource> {
  const size = (await stat(path)).size;
  const source: CountingSource = {
    name: basename(path),
    size,
    bytesRead: 0,
    async read(offset, length) {
      const fh = await open(path, 'r');
      try {
        const buf = new Uint8Array(Math.max(0, Math.min(length, size - offset)));
        await fh.read(buf, 0, buf.length, offset);
        source.bytesRead += buf.length;
        return buf;
      } finally {
        await fh.close();
      }
    },
    async sibling(relativePath) {
      const p = join(dirname(path), relativePath);
      try {
        if (!(await stat(p)).isFile()) return undefined;
      } catch {
        return undefined;
      }
      return testFileSource(p);
    },
  };
  return source;
}

export function bytesSource(
  name: string,
  bytes: Uint8Array,
  siblings: Record<string, Uint8Array> = {},
): ModelSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      return bytes.slice(offset, offset + length);
    },
    async sibling(relativePath) {
      const b = siblings[relativePath];
      return b ? bytesSource(relativePath, b) : undefined;
    },
  };
}
