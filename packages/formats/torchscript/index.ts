/**
 * TorchScript archives (torch.jit.save): data.pkl holds the module tree as `__torch__.` class
 * instances, constants.pkl the constant tensors, code/ the compiled Python source, data/<key> and
 * constants/<key> the tensor bytes. Read through the restricted unpickler: module classes become inert
 * placeholders carrying their attributes; the code is listed as text, never run.
 */

import { guardedOpen } from '../common/guard';
import { type Finding, type Model, ModelError, type ModelFormat, type ModelSource } from '../model';
import { PyObject, type Reducer, unpickle } from '../pytorch/pickle';
import {
  collectTensors,
  type StorageReader,
  storageFromPid,
  TorchTensor,
  tensorInfo,
  torchReducers,
} from '../pytorch/torch';
import { ZipArchive } from '../pytorch/zip';

export const torchscript: ModelFormat = {
  id: 'torchscript',
  detect(source, head) {
    return /\.(jit|torchscript|ptl)$/i.test(source.name) && head[0] === 0x50 && head[1] === 0x4b;
  },
  open: openTorchScript,
};

/** torch.jit's own list/type helpers are identity functions on data */
const identity: Reducer = (a) => a[0];
const jitReducers: Record<string, Reducer> = {
  ...torchReducers,
  'torch.jit._pickle.restore_type_tag': identity,
  'torch.jit._pickle.build_intlist': identity,
  'torch.jit._pickle.build_doublelist': identity,
  'torch.jit._pickle.build_boollist': identity,
  'torch.jit._pickle.build_tensorlist': identity,
  'torch.jit._pickle.build_tensor_from_id': (a) => new PyObject('torch.jit._pickle.build_tensor_from_id', a),
};

export interface ScriptModule {
  name: string;
  /** the `__torch__.` class, e.g. __torch__.torch.nn.modules.conv.Conv1d */
  type: string;
  children: ScriptModule[];
  /** tensor attribute names (weights, buffers) */
  tensors: string[];
  /** other attributes: numbers, strings, booleans */
  attributes: Record<string, string>;
}

export function openTorchScript(source: ModelSource): Promise<Model> {
  return guardedOpen(source.name, () => readTorchScript(source));
}

async function readTorchScript(source: ModelSource): Promise<Model> {
  const fail = (problem: string) => new ModelError(source.name, problem);
  const zip = await ZipArchive.open(source);
  if (!zip) throw fail('it is not a zip archive, so it is not a TorchScript file');
  const archive = zip;
  const data = [...archive.entries.values()].find((e) => /^[^/]*\/?data\.pkl$/.test(e.name));
  if (!data) throw fail('the archive has no data.pkl');
  const prefix = data.name.slice(0, -'data.pkl'.length);
  const placeholders = new Set<string>();
  const load = async (entryName: string, folder: string) => {
    const entry = archive.entries.get(prefix + entryName);
    if (!entry) return undefined;
    try {
      return unpickle(await archive.read(entry), {
        reducers: jitReducers,
        // constants.pkl storages live under constants/, data.pkl ones under data/
        persistentLoad: (pid) => storageFromPid(pid, entryName, folder),
        placeholders,
      }).value;
    } catch (e) {
      throw fail(`${entryName} is not a readable pickle (${(e as Error).message})`);
    }
  };
  const root = await load('data.pkl', 'data');
  const constants = await load('constants.pkl', 'constants');

  const readStorage: StorageReader = async (storage, offset, length) => {
    const entry = archive.entries.get(`${prefix}${storage.folder}/${storage.key}`);
    if (!entry) throw fail(`storage ${storage.folder}/${storage.key} is missing from the archive`);
    return archive.read(entry, offset, length);
  };
  const attributes: Record<string, string> = {};
  const found = [...collectTensors(root, attributes)];
  if (Array.isArray(constants))
    constants.forEach((c, i) => {
      if (c instanceof TorchTensor) found.push({ name: `constants.${i}`, tensor: c });
    });

  const code: Record<string, string> = {};
  for (const entry of archive.entries.values()) {
    const rel = entry.name.slice(prefix.length);
    if (rel.startsWith('code/') && rel.endsWith('.py'))
      code[rel] = new TextDecoder().decode(await archive.read(entry));
  }
  const metadata: Record<string, string> = {};
  const version = archive.entries.get(`${prefix}version`) ?? archive.entries.get(`${prefix}.data/version`);
  if (version) metadata['torchscript.version'] = new TextDecoder().decode(await archive.read(version)).trim();

  const foreign = [...placeholders].filter((g) => !g.startsWith('__torch__.'));
  const findings: Finding[] = foreign.length
    ? [
        {
          id: 'pickle_globals',
          severity: 'info',
          message: `the pickle names ${foreign.join(', ')}; tensorscope kept them as inert placeholders and ran nothing`,
        },
      ]
    : [];
  return {
    format: 'torchscript',
    metadata,
    tensors: found.map(({ name, tensor }) =>
      tensorInfo(name, tensor, readStorage, fail, `${tensor.storage.folder}/${tensor.storage.key}`),
    ),
    extras: {
      modules: root instanceof PyObject ? moduleTree('', root) : undefined,
      code,
      constants: Array.isArray(constants) ? constants.length : 0,
      findings,
    },
  };
}

/** the module tree: every attribute that is itself a `__torch__.` object is a child module */
function moduleTree(name: string, obj: PyObject, depth = 0): ScriptModule {
  const module: ScriptModule = { name, type: obj.__global__, children: [], tensors: [], attributes: {} };
  if (!(obj.state instanceof Map) || depth > 100) return module;
  for (const [key, value] of obj.state) {
    const k = String(key);
    if (value instanceof PyObject && value.__global__.startsWith('__torch__.'))
      module.children.push(moduleTree(k, value, depth + 1));
    else if (value instanceof TorchTensor) module.tensors.push(k);
    else if (value === null || typeof value !== 'object') module.attributes[k] = String(value);
  }
  return module;
}
