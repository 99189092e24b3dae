import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import { comparable } from '../common/test-values';
import { npy, openNpy, parseLiteral } from './index';

const dir = mkdtempSync(join(tmpdir(), 'tensorscope-npy-'));
/** numpy writes one file per dtype (and layout) and prints each array's dtype, shape and C-order values */
const writer = `
import json, sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
arrays = {
  "f2": rng.standard_normal((2, 3)).astype("<f2"), "f4": rng.standard_normal((2, 3, 4)).astype("<f4"),
  "f8": np.array([1.5, -np.inf, np.nan]), "f4be": np.arange(6, dtype=">f4").reshape(2, 3),
  "i1": np.array([-128, 127], "i1"), "i2": np.array([-3, 4], "<i2"), "i4": np.array([[1, -2]], "<i4"),
  "i8": np.array([-(2**62), 5], "<i8"), "u1": np.array([0, 255], "u1"), "u2": np.array([65535], "<u2"),
  "u4": np.array([4000000000], "<u4"), "u8": np.array([2**63 + 1], "<u8"), "b1": np.array([True, False, True]),
  "scalar": np.float32(7.25), "empty": np.zeros((0, 3), "f4"),
  "fortran": np.asfortranarray(np.arange(24, dtype="<i4").reshape(2, 3, 4)),
  "strings": np.array(["ab", "héllo", ""]), "bytes": np.array([b"xy", b"z"]),
}
out = {}
for name, a in arrays.items():
    np.save(f"{d}/{name}.npy", a)
    a = np.asarray(a)
    if a.dtype.kind in "iu" and a.dtype.itemsize == 8:
        values = [str(v) for v in a.reshape(-1).tolist()]
    elif a.dtype.kind == "f":
        values = [v if np.isfinite(v) else ("nan" if v != v else ("inf" if v > 0 else "-inf")) for v in a.astype(np.float64).reshape(-1).tolist()]
    elif a.dtype.kind == "b":
        values = [int(v) for v in a.reshape(-1)]
    elif a.dtype.kind == "S":
        values = [v.decode() for v in a.reshape(-1).tolist()]
    else:
        values = a.reshape(-1).tolist()
    out[name] = {"descr": a.dtype.str, "shape": list(a.shape), "values": values}
np.savez(f"{d}/both.npz", weight=arrays["f4"], bias=arrays["i2"])
np.savez_compressed(f"{d}/packed.npz", weight=arrays["f4"])
np.save(f"{d}/objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
print(json.dumps(out))
`;
const expected: Record<string, { descr: string; shape: number[]; values: (number | string)[] }> = JSON.parse(
  execFileSync('/usr/bin/python3', ['-c', writer, dir]).toString(),
);
const dtypes: Record<string, string> = {
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  i1: 'int8',
  i2: 'int16',
  i4: 'int32',
  i8: 'int64',
  u1: 'uint8',
  u2: 'uint16',
  u4: 'uint32',
  u8: 'uint64',
  b1: 'bool',
  U5: 'string',
  S2: 'string',
};

describe('npy / npz', () => {
  it('reads every dtype, big-endian, scalar, empty, Fortran-ordered and string arrays exactly as numpy wrote them', async () => {
    expect(Object.keys(expected)).toHaveLength(18);
    for (const [name, want] of Object.entries(expected)) {
      const model = await openNpy(await testFileSource(join(dir, `${name}.npy`)));
      const [t] = model.tensors;
      expect([name, t.name, t.dtype, t.shape]).toEqual([name, name, dtypes[want.descr.slice(1)], want.shape]);
      expect(comparable(await t.read()), name).toEqual(want.values);
    }
  });

  it('reads .npz archives, stored and deflated', async () => {
    for (const f of ['both.npz', 'packed.npz']) {
      const model = await openNpy(await testFileSource(join(dir, f)));
      const weight = model.tensors.find((t) => t.name === 'weight')!;
      expect(comparable(await weight.read())).toEqual(expected.f4.values);
    }
    const both = await openNpy(await testFileSource(join(dir, 'both.npz')));
    expect(both.tensors.map((t) => t.name).sort()).toEqual(['bias', 'weight']);
    const bytes = readFileSync(join(dir, 'both.npz'));
    expect(npy.detect(bytesSource('both.npz', bytes), bytes.subarray(0, 8))).toBe(true);
  });

  it('refuses object arrays without unpickling, and names the file', async () => {
    await expect(openNpy(await testFileSource(join(dir, 'objects.npy')))).rejects.toThrow(
      /^objects\.npy: it holds Python objects \(a pickle\), which tensorscope never unpickles$/,
    );
    await expect(openNpy(bytesSource('x.npy', new Uint8Array(20)))).rejects.toThrow(
      /^x\.npy: it is neither a \.npy file nor a \.npz archive$/,
    );
  });

  it('parses header literals without evaluating them', () => {
    expect(parseLiteral("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }")).toEqual({
      descr: '<f4',
      fortran_order: false,
      shape: [3, 4],
    });
    expect(parseLiteral("{'shape': (5,), 'x': None, 'y': [1.5e3, -2]}")).toEqual({
      shape: [5],
      x: null,
      y: [1500, -2],
    });
    expect(() => parseLiteral("{'descr': __import__('os').system('true')}")).toThrow(/unexpected/);
  });
});
