import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import { comparable } from '../common/test-values';
import { openPytorch, pytorch } from './index';
import { PyObject, unpickle } from './pickle';
import { collectTensors, TorchStorage, TorchTensor } from './torch';

const PYTHON = '/usr/bin/python3';
const FIXTURES = '/work/shared/fixtures/pytorch/burn';
const oracle = join(import.meta.dirname, 'torch_oracle.py');

function ptFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return ptFiles(p);
    return name.endsWith('.pt') ? [p] : [];
  });
}

interface Expected {
  dtype: string;
  shape: number[];
  values: (number | string)[];
}

describe('pytorch .pt files', () => {
  const files = ptFiles(FIXTURES).filter((f) => !f.endsWith('broken.pt'));

  it('reads every tensor of every fixture exactly as PyTorch does (names, dtypes, shapes, values)', async () => {
    expect(files.length).toBeGreaterThan(40);
    const expected: Record<string, Record<string, Expected>> = JSON.parse(
      execFileSync(PYTHON, [oracle, ...files], { maxBuffer: 1 << 28 }).toString(),
    );
    for (const file of files) {
      const model = await openPytorch(await testFileSource(file));
      expect(model.format).toBe('pytorch');
      const want = expected[file];
      expect(
        model.tensors.map((t) => t.name),
        file,
      ).toEqual(Object.keys(want));
      for (const t of model.tensors) {
        const w = want[t.name];
        expect({ file, name: t.name, dtype: t.dtype, shape: t.shape }).toEqual({
          file,
          name: t.name,
          dtype: w.dtype,
          shape: w.shape,
        });
        expect(comparable(await t.read()), `${file} ${t.name}`).toEqual(w.values);
      }
    }
  });

  it('reads legacy (pre-1.6, non-zip) files including views into shared storages', async () => {
    const legacy = files.filter((f) => /legacy/.test(f));
    expect(legacy.map((f) => f.split('/').pop()).sort()).toEqual([
      'legacy_shared_storage.pt',
      'legacy_uncloned_views.pt',
      'legacy_with_offsets.pt',
      'simple_legacy.pt',
    ]);
    for (const f of legacy) {
      const model = await openPytorch(await testFileSource(f));
      expect(model.metadata['torch.format']).toBe('legacy');
    }
    const offsets = await openPytorch(await testFileSource(legacy.find((f) => f.includes('with_offsets'))!));
    // tensor2 is a view starting at element 10 of a storage shared with tensor1
    expect(
      Array.from((await offsets.tensors[1].read()) as Float32Array).map((v) => Math.round(v * 10) / 10),
    ).toEqual([2, 2.1, 2.2, 2.3, 2.4]);
  });

  it('lists nested checkpoints under dotted paths and keeps scalars as metadata', async () => {
    const model = await openPytorch(
      await testFileSource(join(FIXTURES, 'src/pytorch/tests/reader/test_data/checkpoint.pt')),
    );
    expect(model.tensors.map((t) => t.name).slice(0, 2)).toEqual([
      'model_state_dict.fc1.weight',
      'model_state_dict.fc1.bias',
    ]);
    expect(model.metadata.epoch).toBe('42');
    expect(model.metadata.loss).toBe('0.123');
  });

  it('lists a whole pickled module (torch.save(model)) by parameter path, with its classes as placeholders', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'tensorscope-module-')), 'model.pt');
    const script = `
import json, sys, torch
torch.manual_seed(0)
m = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.BatchNorm1d(3))
torch.save(m, sys.argv[1])
print(json.dumps({k: v.reshape(-1).tolist() for k, v in m.state_dict().items() if v.dtype == torch.float32}))
`;
    const expected: Record<string, number[]> = JSON.parse(
      execFileSync(PYTHON, ['-c', script, path]).toString(),
    );
    const model = await openPytorch(await testFileSource(path));
    const floats = model.tensors.filter((t) => t.dtype === 'float32');
    expect(floats.map((t) => t.name)).toEqual(Object.keys(expected));
    for (const t of floats) expect(Array.from((await t.read()) as Float32Array)).toEqual(expected[t.name]);
    expect(model.tensors.map((t) => t.name)).toContain('2.num_batches_tracked');
    expect(model.extras!.placeholders).toEqual(
      expect.arrayContaining([
        'torch.nn.modules.container.Sequential',
        'torch.nn.modules.linear.Linear',
        'torch.nn.modules.activation.ReLU',
        'torch.nn.modules.batchnorm.BatchNorm1d',
      ]),
    );
  });

  it('reads numpy scalars in checkpoints as numbers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tensorscope-np-'));
    const script = `
import sys, numpy as np, torch
torch.save({"w": torch.ones(2), "best": np.float64(0.75), "step": np.int64(7), "flag": np.bool_(True),
            "half": np.float32(1.5).astype(">f4")}, sys.argv[1] + "/np.pt")
`;
    execFileSync(PYTHON, ['-c', script, dir]);
    const np = await openPytorch(await testFileSource(join(dir, 'np.pt')));
    expect([np.metadata.best, np.metadata.step, np.metadata.flag, np.metadata.half]).toEqual([
      '0.75',
      '7',
      'true',
      '1.5',
    ]);
    expect(np.extras!.placeholders).toEqual([]);
  });

  it('survives absurdly deep nesting (a crafted pickle) without overflowing the stack', () => {
    const tensor = new TorchTensor(new TorchStorage('0', 'float32', 1), 0, [1], [1], false);
    let deep: unknown = tensor;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(
      collectTensors(
        new Map<string, unknown>([
          ['deep', deep],
          ['w', tensor],
        ]),
      ).map((t) => t.name),
    ).toEqual(['w']);
  });

  it('reads no weight bytes at open', async () => {
    const source = await testFileSource(join(FIXTURES, 'weights/mnist.pt'));
    const model = await openPytorch(source);
    const weightBytes = model.tensors.reduce((n, t) => n + t.byteLength, 0);
    expect(weightBytes).toBeGreaterThan(1_000_000);
    expect(source.bytesRead).toBeLessThan(source.size - weightBytes);
  });

  it('rejects the corrupt broken.pt with one sentence naming the file', async () => {
    const f = join(FIXTURES, 'src/pytorch/tests/reader/test_data/broken.pt');
    await expect(openPytorch(await testFileSource(f))).rejects.toThrow(
      /^broken\.pt: it is not a PyTorch file \(neither a torch zip archive nor a legacy pickle\)$/,
    );
  });

  it('names a truncated archive and a damaged pickle in one sentence', async () => {
    const bytes = readFileSync(join(FIXTURES, 'src/pytorch/tests/reader/test_data/float32.pt'));
    await expect(openPytorch(bytesSource('cut.pt', bytes.subarray(0, 1000)))).rejects.toThrow(
      /^cut\.pt: the zip archive has no central directory \(the file is truncated\)$/,
    );
    const legacy = readFileSync(join(FIXTURES, 'src/pytorch/tests/reader/test_data/simple_legacy.pt'));
    await expect(openPytorch(bytesSource('cut_legacy.pt', legacy.subarray(0, 200)))).rejects.toThrow(
      /^cut_legacy\.pt: the object pickle is damaged \(the pickle data ends early\)$/,
    );
  });

  it('detects legacy files by their first bytes and .pt/.pth files by name', async () => {
    for (const f of ['float32.pt', 'simple_legacy.pt']) {
      const bytes = readFileSync(join(FIXTURES, 'src/pytorch/tests/reader/test_data', f));
      expect(pytorch.detect(bytesSource(f, bytes), bytes.subarray(0, 64))).toBe(true);
    }
    // a damaged .pt is still claimed by name, so it gets this reader's specific error
    const abc = new Uint8Array([97, 98, 99]);
    expect(pytorch.detect(bytesSource('broken.pt', abc), abc)).toBe(true);
    expect(pytorch.detect(bytesSource('broken.dat', abc), abc)).toBe(false);
  });
});

describe('the restricted unpickler never executes anything', () => {
  const marker = join(
    mkdtempSync(join(tmpdir(), 'tensorscope-pickle-')),
    `pwned-${Math.random().toString(36).slice(2)}`,
  );
  const craft = `
import base64, builtins, json, os, pickle, subprocess, sys, torch
marker = sys.argv[1]
class Shell:
    def __reduce__(self): return (os.system, ("touch " + marker,))
class Eval:
    def __reduce__(self): return (builtins.eval, ("__import__('os').system('touch " + marker + "')",))
class Popen:
    def __reduce__(self): return (subprocess.Popen, (["touch", marker],))
torch.save({"weight": torch.arange(4, dtype=torch.float32), "payload": Shell()}, sys.argv[2])
print(json.dumps({str(p): base64.b64encode(pickle.dumps([Shell(), Eval(), Popen()], protocol=p)).decode() for p in range(6)}))
`;
  const ptPath = `${marker}.pt`;
  const pickles: Record<string, string> = JSON.parse(
    execFileSync(PYTHON, ['-c', craft, marker, ptPath]).toString(),
  );

  it('turns os.system / eval / Popen into inert placeholders in protocols 0-5', () => {
    for (const [protocol, b64] of Object.entries(pickles)) {
      const placeholders = new Set<string>();
      const { value } = unpickle(Buffer.from(b64, 'base64'), { placeholders });
      const [shell, evil, popen] = value as PyObject[];
      expect(shell, `protocol ${protocol}`).toBeInstanceOf(PyObject);
      expect(shell.__global__).toBe('posix.system'); // os.system's real module
      expect(shell.args).toEqual([`touch ${marker}`]);
      expect(evil.__global__).toBe('builtins.eval');
      expect(popen.__global__).toBe('subprocess.Popen');
      expect(popen.args).toEqual([['touch', marker]]);
      expect([...placeholders].sort()).toEqual(['builtins.eval', 'posix.system', 'subprocess.Popen']);
    }
    expect(existsSync(marker)).toBe(false);
  });

  it('opens a torch.save file carrying a shell-command payload, reads its tensor and reports the global', async () => {
    const model = await openPytorch(await testFileSource(ptPath));
    expect(model.tensors.map((t) => t.name)).toEqual(['weight']);
    expect(Array.from((await model.tensors[0].read()) as Float32Array)).toEqual([0, 1, 2, 3]);
    expect(model.extras?.placeholders).toEqual(['posix.system']);
    const payload = (model.extras!.object as Map<string, unknown>).get('payload') as PyObject;
    expect(payload).toMatchObject({ __global__: 'posix.system', args: [`touch ${marker}`] });
    expect(existsSync(marker)).toBe(false);
  });
});

describe('unpickler values', () => {
  it('decodes every protocol the same way Python wrote it', () => {
    const script = `
import base64, collections, json, pickle
obj = {"int": 7, "neg": -300, "big": 2**70, "float": 1.25, "str": "héllo\\n", "bytes": b"\\x00\\xff",
       "list": [1, [2, 3]], "tuple": (1, 2, 3), "none": None, "flags": [True, False],
       "od": collections.OrderedDict([("a", 1), ("b", 2)]), "set": {5}}
print(json.dumps([base64.b64encode(pickle.dumps(obj, protocol=p)).decode() for p in range(6)]))
`;
    const dumps: string[] = JSON.parse(execFileSync(PYTHON, ['-c', script]).toString());
    for (const b64 of dumps) {
      const value = unpickle(Buffer.from(b64, 'base64')).value as Map<string, unknown>;
      expect(Object.fromEntries(value)).toEqual({
        int: 7,
        neg: -300,
        big: 2n ** 70n,
        float: 1.25,
        str: 'héllo\n',
        bytes: new Uint8Array([0, 255]),
        list: [1, [2, 3]],
        tuple: [1, 2, 3],
        none: null,
        flags: [true, false],
        od: new Map([
          ['a', 1],
          ['b', 2],
        ]),
        set: [5],
      });
    }
  });
});
