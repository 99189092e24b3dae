/**
 * `tensorscope doctor <logdir|model> [--json] [--fail-on warning|error]`: diagnoses training problems in
 * every run of a logdir (or weight problems in a model file), each with evidence, onset step and a fix.
 * Exit 1 when a finding reaches the --fail-on severity, so it can gate CI.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type Diagnosis,
  diagnoseRuns,
  type Problem,
  type ProblemId,
  type Severity,
  SUGGESTION,
  signalsFromTags,
} from '@tensorscope/analysis/doctor';
import { parseArgs } from '../args';
import { UsageError } from '../errors';
import { loadLogdir, reportIssues } from '../logdir';

export const usage = 'doctor <logdir|model> [--json] [--fail-on warning|error]   diagnose training problems';

interface RunResult {
  run: string;
  problems: Problem[];
  diagnosis?: Diagnosis;
}

const LEVEL: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['json']);
  if (args.positionals.length !== 1)
    throw new UsageError(
      'doctor takes one logdir or model file: tensorscope doctor <logdir|model> [--json].',
    );
  const failOn = args.flags.get('fail-on');
  let threshold: number | undefined;
  if (failOn !== undefined) {
    if (failOn !== 'warning' && failOn !== 'error')
      throw new UsageError(`--fail-on ${JSON.stringify(failOn)} must be warning or error.`);
    threshold = LEVEL[failOn];
  }
  const path = args.positionals[0];
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new UsageError(`${path}: no such file or directory.`);
  const results = st.isDirectory() ? await doctorLogdir(path) : await doctorModel(path);
  if (args.flags.has('json')) {
    const runs = results.map((r) => ({ run: r.run, problems: r.problems }));
    process.stdout.write(JSON.stringify({ runs }, null, 1) + '\n');
  } else process.stdout.write(render(results));
  if (threshold === undefined) return 0;
  const failing = results.some((r) => r.problems.some((p) => LEVEL[p.severity] >= threshold));
  return failing ? 1 : 0;
}

async function doctorLogdir(logdir: string): Promise<RunResult[]> {
  const loaded = await loadLogdir(logdir);
  reportIssues(loaded);
  if (!loaded.length)
    throw new UsageError(`${logdir}: no event files found (a logdir holds events.out.tfevents.* files).`);
  return diagnoseRuns(loaded.map((r) => ({ name: r.name, signals: signalsFromTags(r.tags) }))).map(
    ({ run, diagnosis }) => ({ run, problems: diagnosis.problems, diagnosis }),
  );
}

/** A model file: the weight findings of `inspect` (broken_weights, bad_init) in the doctor's shape. */
async function doctorModel(path: string): Promise<RunResult[]> {
  const [{ openModel }, { fileSource }, { inspectModel }] = await Promise.all([
    import('@tensorscope/formats/open'),
    import('@tensorscope/formats/node-source'),
    import('@tensorscope/analysis/model'),
  ]);
  const report = await inspectModel(await openModel(await fileSource(path)), { weights: true });
  const problems: Problem[] = report.findings
    .filter((f): f is typeof f & { id: ProblemId } => f.id === 'broken_weights' || f.id === 'bad_init')
    .map((f) => ({
      id: f.id,
      severity: f.severity,
      step: 0,
      evidence: f.message.replace(/\.$/, ''),
      suggestion: SUGGESTION[f.id],
      tags: f.tensors ?? [],
    }));
  return [{ run: basename(path), problems }];
}

function render(results: RunResult[]): string {
  const out: string[] = [];
  for (const r of results) {
    if (r.diagnosis && !r.diagnosis.checked.length) {
      out.push(`${r.run}: nothing to diagnose (no loss, gradient, activation, input or parameter signals)`);
      continue;
    }
    if (!r.problems.length) {
      const checked = r.diagnosis ? `checked: ${r.diagnosis.checked.join(', ')}` : 'weights checked';
      out.push(`${r.run}: healthy (${checked})`);
    } else {
      out.push(`${r.run}: ${r.problems.length} problem${r.problems.length > 1 ? 's' : ''}`);
      for (const p of r.problems) {
        out.push(`  ${p.severity.toUpperCase()} ${p.id} at step ${p.step}: ${p.evidence}`);
        out.push(`    fix: ${p.suggestion}`);
      }
    }
    for (const m of r.diagnosis?.missing ?? [])
      out.push(`  not checked: ${m.enables.join(', ')} (log ${m.signal})`);
  }
  return out.join('\n') + '\n';
}
