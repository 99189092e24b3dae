/**
 * PyTorch `torch.save` files: the zip format (1.6+: <archive>/data.pkl + <archive>/data/<key>) and the
 * legacy format (magic, protocol and sys_info pickles, the object pickle, the storage keys, then each
 * storage as an 8-byte element count and raw bytes). The object pickle goes through the restricted
 * unpickler: nothing from the file is ever executed. TorchScript archives are handed to the
 * TorchScript reader.
 */

import { guardedOpen } from '../common/guard';
import { elementSize } from '../common/tensor-bytes';
import { type Finding, type Model, ModelError, type ModelFormat, type ModelSource } from '../model';
import { openTorchScript } from '../torchscript/index';
import { PickleError, PickleTruncated, unpickle } from './pickle';
import {
  collectTensors,
  type StorageReader,
  storageFromPid,
  TorchStorage,
  tensorInfo,
  torchReducers,
} from './torch';
import { ZipArchive } from './zip';

/** the legacy magic number 0x1950a86a20f9469cfc6c pickled as a LONG1 */
const LEGACY_MAGIC = [0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19];

function isLegacy(head: Uint8Array): boolean {
  return head[0] === 0x80 && LEGACY_MAGIC.every((b, i) => head[2 + i] === b);
}

export const pytorch: ModelFormat = {
  id: 'pytorch',
  detect(source, head) {
    // by extension, so a damaged .pt gets this reader's specific error rather than "unrecognized"
    if (/\.(pt|pth|ckpt)$/i.test(source.name)) return true;
    return isLegacy(head) || (/\.(bin|pkl)$/i.test(source.name) && isZip(head));
  },
  open: openPytorch,
};

export function isZip(head: Uint8Array): boolean {
  return head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04;
}

export function openPytorch(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readPytorch(source));
}

async function readPytorch(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  const head = await source.read(0, Math.min(source.size, 16));
  if (isZip(head)) {
    const zip = await ZipArchive.open(source);
    if (!zip) throw fail('the zip archive has no central directory (the file is truncated)');
    const names = [...zip.entries.keys()];
    if (names.some((n) => /(^|\/)constants\.pkl$/.test(n)) && names.some((n) => /(^|\/)code\//.test(n)))
      return openTorchScript(source);
    return openZip(zip, fail);
  }
  if (isLegacy(head)) return openLegacy(source, fail);
  if (head.length >= 262 || source.size >= 262) {
    const tar = await source.read(257, 5);
    if (new TextDecoder().decode(tar) === 'ustar')
      throw fail('it is a tar-based torch file from before PyTorch 0.4, which tensorscope does not read');
  }
  throw fail('it is not a PyTorch file (neither a torch zip archive nor a legacy pickle)');
}

async function openZip(zip: ZipArchive, fail: (p: string) => ModelError): Promise<Model> {
  const pkl = [...zip.entries.values()].find((e) => /^[^/]*\/?data\.pkl$/.test(e.name));
  if (!pkl) throw fail('the zip archive has no data.pkl, so it is not a torch.save file');
  const prefix = pkl.name.slice(0, -'data.pkl'.length);
  const placeholders = new Set<string>();
  let root: unknown;
  try {
    root = unpickle(await zip.read(pkl), {
      reducers: torchReducers,
      persistentLoad: (pid) => storageFromPid(pid, 'data.pkl'),
      placeholders,
    }).value;
  } catch (e) {
    throw fail(`data.pkl is not a readable pickle (${(e as Error).message})`);
  }
  const readStorage: StorageReader = async (storage, offset, length) => {
    const entry = zip.entries.get(`${prefix}data/${storage.key}`);
    if (!entry) throw fail(`storage data/${storage.key} is missing from the archive`);
    return zip.read(entry, offset, length);
  };
  const byteorder = zip.entries.get(`${prefix}byteorder`);
  if (byteorder && new TextDecoder().decode(await zip.read(byteorder)).trim() === 'big')
    throw fail('it was saved on a big-endian machine, which tensorscope does not read');
  const metadata: Record<string, string> = {};
  const version = zip.entries.get(`${prefix}version`) ?? zip.entries.get(`${prefix}.data/version`);
  if (version) metadata['torch.version'] = new TextDecoder().decode(await zip.read(version)).trim();
  const found = collectTensors(root, metadata);
  return {
    format: 'pytorch',
    metadata,
    tensors: found.map(({ name, tensor }) =>
      tensorInfo(name, tensor, readStorage, fail, `data/${tensor.storage.key}`),
    ),
    extras: extras(root, placeholders),
  };
}

async function openLegacy(source: ModelSource, fail: (p: string) => ModelError): Promise<Model> {
  const storages = new Map<string, TorchStorage>();
  const placeholders = new Set<string>();
  const options = {
    reducers: torchReducers,
    persistentLoad: (pid: unknown) => {
      const s = storageFromPid(pid, source.name);
      if (s instanceof TorchStorage && Array.isArray(pid)) {
        // views share their root storage's bytes: remember the root's dtype for the storage table
        storages.set(String(pid[2]), new TorchStorage(String(pid[2]), s.dtype, Number(pid[4])));
      }
      return s;
    },
    placeholders,
  };
  let offset = 0;
  const next = async (what: string) => {
    try {
      const { value, end } = await unpickleAt(source, offset, options);
      offset = end;
      return value;
    } catch (e) {
      if (e instanceof PickleError) throw fail(`the ${what} pickle is damaged (${e.message})`);
      throw e;
    }
  };
  await next('magic number');
  const protocol = await next('protocol version');
  if (protocol !== 1001) throw fail(`it uses legacy protocol version ${String(protocol)}, expected 1001`);
  const sysInfo = await next('sys_info');
  const root = await next('object');
  const keys = await next('storage keys');
  if (!Array.isArray(keys)) throw fail('the storage key list is not a list');
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false)
    throw fail('it was saved on a big-endian machine, which tensorscope does not read');
  // the storage table: walk 8-byte element counts, never touching tensor bytes
  const starts = new Map<string, number>();
  for (const key of keys.map(String)) {
    const storage = storages.get(key);
    if (!storage) throw fail(`storage ${key} is listed but never used, so its size is unknown`);
    if (offset + 8 > source.size) throw fail(`the file ends before storage ${key}`);
    const header = await source.read(offset, 8);
    const count = Number(new DataView(header.buffer, header.byteOffset, 8).getBigInt64(0, true));
    starts.set(key, offset + 8);
    offset += 8 + count * elementSize(storage.dtype);
    if (offset > source.size) throw fail(`the file ends inside storage ${key}`);
  }
  const readStorage: StorageReader = async (storage, byteOffset, byteLength) => {
    const start = starts.get(storage.key);
    if (start === undefined) throw fail(`storage ${storage.key} is missing from the file`);
    return source.read(start + byteOffset, byteLength);
  };
  const metadata: Record<string, string> = { 'torch.format': 'legacy' };
  const found = collectTensors(root, metadata);
  return {
    format: 'pytorch',
    metadata,
    tensors: found.map(({ name, tensor }) =>
      tensorInfo(name, tensor, readStorage, fail, `storage ${tensor.storage.key}`),
    ),
    extras: extras(root, placeholders),
  };
}

/** unpickles one pickle at `offset`, reading more of the file until the pickle is complete */
async function unpickleAt(
  source: ModelSource,
  offset: number,
  options: Parameters<typeof unpickle>[1],
): Promise<{ value: unknown; end: number }> {
  for (let length = 1 << 16; ; length *= 4) {
    const chunk = await source.read(offset, Math.min(length, source.size - offset));
    try {
      const { value, end } = unpickle(chunk, options);
      return { value, end: offset + end };
    } catch (e) {
      if (!(e instanceof PickleTruncated) || offset + chunk.length >= source.size) throw e;
    }
  }
}

function extras(root: unknown, placeholders: Set<string>): Model['extras'] {
  const findings: Finding[] = [];
  if (placeholders.size)
    findings.push({
      id: 'pickle_globals',
      severity: 'info',
      message: `the pickle names ${[...placeholders].join(', ')}; tensorscope kept them as inert placeholders and ran nothing`,
    });
  return { object: root, placeholders: [...placeholders], findings };
}
