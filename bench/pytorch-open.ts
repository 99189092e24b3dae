/**
 * Opening and reading a PyTorch checkpoint, zip (1.6+) and legacy formats, against baselines measured
 * in the same run: reading the whole file (fs.readFileSync) and PyTorch's own `torch.load` (timed inside
 * Python, interpreter start-up excluded). The checkpoint is written at bench time by real PyTorch.
 *
 * `npm run bench -- pytorch-open` (PT_MB=256 by default)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileSource } from '../packages/formats/node-source';
import { openModel } from '../packages/formats/open';

const MB = Number(process.env.PT_MB ?? 256);
const dir = join(process.cwd(), '.bench-data', 'pytorch-open');
mkdirSync(dir, { recursive: true });

// 64 tensors of 1M float32 per 256 MB, nested like a training checkpoint, plus small buffers
const write = `
import sys, torch
n = max(1, int(sys.argv[1]) // 4)
g = torch.Generator().manual_seed(0)
sd = {f"layers.{i}.weight": torch.randn(1024, 1024, generator=g) for i in range(n)}
sd.update({f"layers.{i}.num_batches_tracked": torch.tensor(i) for i in range(n)})
ckpt = {"model": sd, "epoch": 3}
torch.save(ckpt, sys.argv[2])
torch.save(ckpt, sys.argv[3], _use_new_zipfile_serialization=False)
`;
const timeTorch = `
import sys, time, torch
best = 1e9
for _ in range(3):
    t = time.perf_counter(); torch.load(sys.argv[1], map_location="cpu"); best = min(best, time.perf_counter() - t)
print(best * 1000)
`;
const zip = join(dir, `ckpt-${MB}.pt`);
const legacy = join(dir, `ckpt-${MB}-legacy.pt`);
execFileSync('/usr/bin/python3', ['-c', write, String(MB), zip, legacy]);

const best = async (fn: () => Promise<unknown> | unknown) => {
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return ms;
};

console.log(
  '| file | MB | raw read (ms) | torch.load (ms) | tensorscope open (ms) | tensorscope open + read all (ms) | read all vs raw | read all vs torch.load |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const [label, path] of [
  ['zip', zip],
  ['legacy', legacy],
] as const) {
  const size = statSync(path).size;
  const raw = await best(() => readFileSync(path));
  const torch = Number(execFileSync('/usr/bin/python3', ['-c', timeTorch, path]).toString());
  const open = await best(async () => openModel(await fileSource(path)));
  const all = await best(async () => {
    const model = await openModel(await fileSource(path));
    for (const t of model.tensors) await t.read();
  });
  console.log(
    `| ${label} | ${(size / 2 ** 20).toFixed(0)} | ${raw.toFixed(0)} | ${torch.toFixed(0)} | ${open.toFixed(1)} | ${all.toFixed(0)} | ${(all / raw).toFixed(2)}x | ${(all / torch).toFixed(2)}x |`,
  );
}
