/**
 * `npm run bench -- doctor`: generates the evaluation suite (real PyTorch and TF.js training runs with
 * labeled problems and onsets, see bench/doctor/), runs the doctor on it and prints precision, recall
 * and mean onset delay per problem id, the false-positive rate on healthy runs, and the same figures for
 * a baseline of fixed absolute-threshold checks measured in the same run.
 * DOCTOR_SUITE=<dir> reuses an already generated suite instead of generating one.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baselineDoctor } from './doctor/baseline';
import { doctor, loadSuite, type Score, score } from './doctor/score';

const here = dirname(fileURLToPath(import.meta.url));

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`)),
    );
  });
}

let dir = process.env.DOCTOR_SUITE;
if (!dir) {
  dir = join(here, '..', '.bench-data', 'doctor-suite');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  // the two frameworks in parallel: one core each
  await Promise.all([
    run('/usr/bin/python3', [join(here, 'doctor', 'torch_runs.py'), dir]),
    run(process.execPath, ['--import', 'tsx', join(here, 'doctor', 'tfjs-runs.ts'), dir]),
  ]);
  console.log(`generated the suite in ${((performance.now() - t0) / 1000).toFixed(0)} s: ${dir}`);
}

const t1 = performance.now();
const runs = await loadSuite(dir);
const readMs = performance.now() - t1;
const t2 = performance.now();
const ours = score(runs, doctor);
const diagnoseMs = performance.now() - t2;
const base = score(runs, baselineDoctor);

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const frameworks = new Map<string, number>();
for (const r of runs) frameworks.set(r.label.framework, (frameworks.get(r.label.framework) ?? 0) + 1);
console.log(
  `${runs.length} runs (${[...frameworks].map(([f, n]) => `${n} ${f}`).join(', ')}), ${ours.healthy} healthy, ${ours.labeled} labeled problems`,
);
console.log('\nper problem id (doctor):');
console.log(
  'id                   labeled  found  false  precision  recall  mean onset delay (steps, % of run)',
);
for (const [id, s] of [...ours.byId].sort((a, b) => a[0].localeCompare(b[0]))) {
  const labeled = s.tp + s.fn;
  const mean = (a: number[]) => (a.length ? a.reduce((x, y) => x + y, 0) / a.length : Number.NaN);
  const precision = s.tp + s.fp ? s.tp / (s.tp + s.fp) : Number.NaN;
  console.log(
    [
      id.padEnd(20),
      String(labeled).padStart(7),
      String(s.tp).padStart(6),
      String(s.fp).padStart(6),
      (Number.isNaN(precision) ? '-' : precision.toFixed(2)).padStart(10),
      (labeled ? (s.tp / labeled).toFixed(2) : '-').padStart(7),
      `  ${s.delays.length ? `${mean(s.delays).toFixed(1)} (${pct(mean(s.relDelays))})` : '-'}`,
    ].join(' '),
  );
}
const line = (name: string, s: Score) =>
  `${name.padEnd(9)} recall ${s.recall.toFixed(3)}  precision ${(s.tp / Math.max(1, s.tp + s.fp)).toFixed(3)}  healthy false-positive rate ${s.healthyFpRate.toFixed(3)}  onset within 10% of run ${pct(s.onsetWithin10)}  false findings ${s.fp}`;
console.log('');
console.log(line('doctor', ours));
console.log(line('baseline', base));
const f1 = (s: Score) => {
  const p = s.tp / Math.max(1, s.tp + s.fp);
  return (2 * p * s.recall) / Math.max(1e-9, p + s.recall);
};
console.log(`ratio doctor/baseline F1: ${(f1(ours) / Math.max(1e-9, f1(base))).toFixed(2)}x`);
console.log(
  `reading ${readMs.toFixed(0)} ms, diagnosing ${diagnoseMs.toFixed(0)} ms for ${runs.length} runs (${(diagnoseMs / runs.length).toFixed(1)} ms per run; ratio diagnose/read ${(diagnoseMs / readMs).toFixed(2)})`,
);
if (process.env.DOCTOR_VERBOSE) for (const l of ours.lines) console.log(l);
const ok = ours.recall >= 0.95 && ours.healthyFpRate <= 0.05 && ours.onsetWithin10 >= 0.95;
console.log(ok ? 'targets met (recall >= 0.95, healthy FP <= 0.05)' : 'TARGETS NOT MET');
process.exit(ok ? 0 : 1);
