/** ModelSource over browser File objects (a model dropped on the page; siblings are the other dropped files). */
import type { ModelSource } from './model';

function pathOf(file: File): string {
  // webkitRelativePath is set when a folder was dropped or picked
  const rel = (file as File & { webkitRelativePath?: string }).webkitRelativePath;
  return rel || file.name;
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i + 1);
}

/** Joins `dir` and `rel`, resolving `.` and `..`; undefined when `rel` escapes `dir`'s tree. */
function join(dir: string, rel: string): string | undefined {
  if (rel.startsWith('/')) return undefined;
  const parts = dir.split('/').filter(Boolean);
  const depth = parts.length;
  for (const p of rel.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length <= depth) return undefined;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join('/');
}

function sourceOf(file: File, byPath: Map<string, File>): ModelSource {
  const path = pathOf(file);
  return {
    name: file.name,
    size: file.size,
    async read(offset, length) {
      return new Uint8Array(await file.slice(offset, offset + length).arrayBuffer());
    },
    async sibling(relativePath) {
      const target = join(dirOf(path), relativePath);
      const found = target === undefined ? undefined : (byPath.get(target) ?? byPath.get(relativePath));
      return found && sourceOf(found, byPath);
    },
  };
}

/** The source of `main` (default: the first file); the other files are its siblings (ONNX external data, TF.js shards). */
export function fileListSource(files: File[], main: File = files[0]): ModelSource {
  const byPath = new Map(files.map((f) => [pathOf(f), f]));
  return sourceOf(main, byPath);
}

/** Wraps bytes already in memory (a model fetched over HTTP, or a test). */
export function bytesSource(name: string, bytes: Uint8Array): ModelSource {
  return {
    name,
    size: bytes.length,
    async read(offset, length) {
      return bytes.subarray(offset, offset + length);
    },
    async sibling() {
      return undefined;
    },
  };
}
