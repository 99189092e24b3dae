/**
 * Scores the doctor on a generated suite: every run directory holds event files and a label.json
 * ({framework, steps, problems: [{id, onset}], allowed: [ids]}). `allowed` lists true consequences of the
 * labeled problems (a NaN run also has NaN weights); finding them is neither credited nor penalized.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Problem, ProblemId, RunSignals } from '@tensorscope/analysis/doctor';
import { diagnoseRun, pairTrainValidation, signalsFromAccumulator } from '@tensorscope/analysis/doctor';
import { readLogdir } from '@tensorscope/formats/tfevents/node';

export interface Label {
  framework: string;
  steps: number;
  problems: { id: ProblemId; onset: number }[];
  allowed: ProblemId[];
}

export interface SuiteRun {
  name: string;
  label: Label;
  signals: RunSignals;
}

export async function loadSuite(dir: string): Promise<SuiteRun[]> {
  const reader = await readLogdir(dir);
  // tfjs-node style runs come as <run>/train + <run>/val: the labels sit with the training run
  const paired = pairTrainValidation(
    [...reader.runs.values()].map((r) => ({ name: r.name, signals: signalsFromAccumulator(r.data) })),
  );
  const runs: SuiteRun[] = [];
  for (const r of paired) {
    const text = await readFile(join(dir, r.name, 'label.json'), 'utf8').catch(() => undefined);
    if (text === undefined)
      process.stderr.write(`skipping ${r.name}: no label.json (still being generated?)\n`);
    else runs.push({ ...r, label: JSON.parse(text) as Label });
  }
  return runs.sort((a, b) => a.name.localeCompare(b.name));
}

export interface IdScore {
  tp: number;
  fp: number;
  fn: number;
  /** detected minus labeled onset, in steps, for each true positive */
  delays: number[];
  /** the same as a fraction of the run's length */
  relDelays: number[];
}

export interface Score {
  byId: Map<ProblemId, IdScore>;
  /** labeled problems found / labeled problems */
  recall: number;
  labeled: number;
  /** healthy runs with at least one finding / healthy runs */
  healthyFpRate: number;
  healthy: number;
  /** true positives whose onset is within 10% of the run's length of the label */
  onsetWithin10: number;
  tp: number;
  fp: number;
  /** per run: what was expected and found, for the report */
  lines: string[];
}

export type Doctor = (s: RunSignals) => Problem[];

export const doctor: Doctor = (s) => diagnoseRun(s).problems;

export function score(runs: SuiteRun[], diagnose: Doctor = doctor): Score {
  const byId = new Map<ProblemId, IdScore>();
  const id = (k: ProblemId) => {
    let s = byId.get(k);
    if (!s) byId.set(k, (s = { tp: 0, fp: 0, fn: 0, delays: [], relDelays: [] }));
    return s;
  };
  let labeled = 0;
  let found = 0;
  let healthy = 0;
  let healthyFlagged = 0;
  let within = 0;
  let tp = 0;
  let fp = 0;
  const lines: string[] = [];
  for (const run of runs) {
    const problems = diagnose(run.signals);
    const got = new Map<ProblemId, Problem>();
    for (const p of problems) if (!got.has(p.id)) got.set(p.id, p);
    const want = new Set(run.label.problems.map((p) => p.id));
    if (!want.size) {
      healthy++;
      if (got.size) healthyFlagged++;
    }
    const notes: string[] = [];
    for (const l of run.label.problems) {
      labeled++;
      const p = got.get(l.id);
      if (!p) {
        id(l.id).fn++;
        notes.push(`MISSED ${l.id}@${l.onset}`);
        continue;
      }
      found++;
      tp++;
      const s = id(l.id);
      s.tp++;
      s.delays.push(p.step - l.onset);
      const rel = (p.step - l.onset) / run.label.steps;
      s.relDelays.push(rel);
      if (Math.abs(rel) <= 0.1) within++;
      notes.push(`${l.id}@${p.step} (label ${l.onset})`);
    }
    for (const p of got.values()) {
      if (want.has(p.id)) continue;
      if (run.label.allowed.includes(p.id)) {
        notes.push(`(also ${p.id}@${p.step})`);
        continue;
      }
      fp++;
      id(p.id).fp++;
      notes.push(`FALSE ${p.id}@${p.step}: ${p.evidence}`);
    }
    lines.push(`${run.name} [${run.label.framework}]: ${notes.join('; ') || 'healthy, no findings'}`);
  }
  return {
    byId,
    recall: labeled ? found / labeled : 1,
    labeled,
    healthyFpRate: healthy ? healthyFlagged / healthy : 0,
    healthy,
    onsetWithin10: tp ? within / tp : 1,
    tp,
    fp,
    lines,
  };
}
