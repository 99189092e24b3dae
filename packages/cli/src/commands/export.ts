/**
 * `tensorscope export <logdir> [--run RE] [--tag RE] [--kind K] --format csv|json|jsonl [-o FILE]`:
 * every point, in file order after restart semantics.
 */
import { createWriteStream } from 'node:fs';
import { pointJson, tagLength } from '@tensorscope/formats/tfevents';
import { parseArgs, regexFlag, stringFlag } from '../args';
import { UsageError } from '../errors';
import { checkKind, type LoadedRun, loadLogdir, Output, reportIssues } from '../logdir';

export const usage =
  'export <logdir> [--run RE] [--tag RE] [--kind K] --format csv|json|jsonl [-o FILE]   every point';

const FORMATS = ['csv', 'json', 'jsonl'];

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.positionals.length !== 1)
    throw new UsageError('export takes one logdir: tensorscope export <logdir> --format json.');
  const format = stringFlag(args, 'format') ?? 'json';
  if (!FORMATS.includes(format))
    throw new UsageError(`--format ${JSON.stringify(format)} is not csv, json or jsonl.`);
  const kind = stringFlag(args, 'kind');
  checkKind(kind);
  if (format === 'csv' && kind && kind !== 'scalar') {
    throw new UsageError(`csv holds scalars only; export ${kind} data with --format json or jsonl.`);
  }
  const tag = regexFlag(args, 'tag');
  let runs = await loadLogdir(args.positionals[0], { run: regexFlag(args, 'run'), tag, kind });
  // with a tag or kind filter, runs with nothing left are noise
  if (tag || kind) runs = runs.filter((r) => r.tags.length);
  reportIssues(runs);
  const file = stringFlag(args, 'o');
  const stream = file ? createWriteStream(file) : process.stdout;
  const out = new Output(stream);
  if (format === 'json') await writeJson(runs, out);
  else if (format === 'jsonl') await writeJsonl(runs, out);
  else await writeCsv(runs, out);
  await out.flush();
  if (file)
    await new Promise<void>((resolve, reject) =>
      (stream as ReturnType<typeof createWriteStream>).end(() => resolve()).on('error', reject),
    );
  return 0;
}

async function writeJson(runs: LoadedRun[], out: Output): Promise<void> {
  await out.write('{"runs": [');
  for (const [ri, r] of runs.entries()) {
    await out.write(`${ri ? ',' : ''}\n {"name": ${JSON.stringify(r.name)}, "tags": [`);
    for (const [ti, s] of r.tags.entries()) {
      await out.write(
        `${ti ? ',' : ''}\n  {"tag": ${JSON.stringify(s.tag)}, "kind": "${s.kind}", "points": [`,
      );
      const n = tagLength(s);
      for (let i = 0; i < n; i++) await out.write(`${i ? ',' : ''}\n   ${JSON.stringify(pointJson(s, i))}`);
      await out.write(']}');
    }
    await out.write(']}');
  }
  await out.write('\n]}\n');
}

async function writeJsonl(runs: LoadedRun[], out: Output): Promise<void> {
  for (const r of runs) {
    for (const s of r.tags) {
      const prefix = `{"run":${JSON.stringify(r.name)},"tag":${JSON.stringify(s.tag)},"kind":"${s.kind}",`;
      const n = tagLength(s);
      for (let i = 0; i < n; i++) await out.write(prefix + JSON.stringify(pointJson(s, i)).slice(1) + '\n');
    }
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function writeCsv(runs: LoadedRun[], out: Output): Promise<void> {
  await out.write('run,tag,step,wall_time,value\n');
  let skipped = 0;
  for (const r of runs) {
    for (const s of r.tags) {
      if (s.kind !== 'scalar') {
        skipped++;
        continue;
      }
      const prefix = `${csvField(r.name)},${csvField(s.tag)},`;
      for (let i = 0; i < s.columns.length; i++) {
        const p = pointJson(s, i);
        await out.write(`${prefix}${p.step},${p.wall_time},${p.value}\n`);
      }
    }
  }
  if (skipped)
    process.stderr.write(
      `note: ${skipped} non-scalar tags left out of the csv; use --format json or jsonl for them\n`,
    );
}
