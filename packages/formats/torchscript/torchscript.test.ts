import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bytesSource, testFileSource } from '../common/test-sources';
import { comparable } from '../common/test-values';
import { openPytorch } from '../pytorch/index';
import { openTorchScript, type ScriptModule, torchscript } from './index';

const JIT = '/work/shared/fixtures/pytorch/silero-vad/silero_vad.jit';

describe('TorchScript archives', () => {
  it('lists the state dict torch.jit.load sees, with identical values', async () => {
    const script = `
import json, sys, torch
m = torch.jit.load(sys.argv[1])
print(json.dumps({k: [list(v.shape), [float(x) for x in v.reshape(-1).tolist()]] for k, v in m.state_dict().items()}))
`;
    const expected: Record<string, [number[], number[]]> = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, JIT], { maxBuffer: 1 << 28 }).toString(),
    );
    const model = await openTorchScript(await testFileSource(JIT));
    expect(model.format).toBe('torchscript');
    const byName = new Map(model.tensors.map((t) => [t.name, t]));
    // plus the non-parameter tensor attributes _state, _context and one constant
    expect([...byName.keys()].filter((n) => !(n in expected))).toEqual(['_state', '_context', 'constants.0']);
    expect(Object.keys(expected).length).toBe(30);
    for (const [name, [shape, values]] of Object.entries(expected)) {
      const t = byName.get(name)!;
      expect([name, t.dtype, t.shape]).toEqual([name, 'float32', shape]);
      expect(comparable(await t.read())).toEqual(values);
    }
  });

  it('shows the module tree with __torch__ classes and attributes, and the code listing', async () => {
    const model = await openTorchScript(await testFileSource(JIT));
    const root = model.extras!.modules as ScriptModule;
    expect(root.type).toBe('__torch__.vad.model.vad_annotator.VADRNNJITMerge');
    expect(root.children.map((c) => c.name)).toEqual(['_model', '_model_8k']);
    const stft = root.children[0].children[0];
    expect([stft.name, stft.type, stft.tensors, stft.attributes.hop_length]).toEqual([
      'stft',
      '__torch__.vad.utils.pytorch_stft.___torch_mangle_9.STFT',
      ['forward_basis_buffer'],
      '128',
    ]);
    const code = model.extras!.code as Record<string, string>;
    expect(Object.keys(code)).toHaveLength(44);
    expect(code['code/__torch__/torch/nn/modules/linear.py']).toContain('class Identity(Module)');
    expect(model.metadata['torchscript.version']).toBe('3');
    expect(model.extras!.findings).toEqual([]);
  });

  it('is recognized by name and also when opened as a .pt', async () => {
    const bytes = readFileSync(JIT);
    expect(torchscript.detect(bytesSource('silero_vad.jit', bytes), bytes.subarray(0, 16))).toBe(true);
    const viaPt = await openPytorch(bytesSource('silero_vad.pt', bytes));
    expect(viaPt.format).toBe('torchscript');
  });

  it('rejects a non-archive in one sentence', async () => {
    await expect(openTorchScript(bytesSource('x.jit', new Uint8Array(100)))).rejects.toThrow(
      /^x\.jit: it is not a zip archive, so it is not a TorchScript file$/,
    );
  });
});
