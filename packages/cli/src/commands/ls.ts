/** `tensorscope ls <logdir> [--json]`: runs, tags, kinds, counts, step ranges. */
import { summarizeTag } from '@tensorscope/formats/tfevents';
import { parseArgs } from '../args';
import { UsageError } from '../errors';
import { loadLogdir, reportIssues } from '../logdir';

export const usage = 'ls <logdir> [--json]                         runs, tags, kinds, counts, step ranges';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['json']);
  if (args.positionals.length !== 1)
    throw new UsageError('ls takes one logdir: tensorscope ls <logdir> [--json].');
  const runs = await loadLogdir(args.positionals[0]);
  reportIssues(runs);
  const out = runs.map((r) => ({
    name: r.name,
    tags: r.tags.map(summarizeTag),
    issues: r.issues.map((i) => ({ file: i.file, offset: i.offset, message: i.message })),
  }));
  if (args.flags.has('json')) {
    process.stdout.write(JSON.stringify({ runs: out }, null, 1) + '\n');
    return 0;
  }
  if (!out.length) {
    process.stdout.write(`no event files under ${args.positionals[0]}\n`);
    return 0;
  }
  const rows = out.flatMap((r) =>
    r.tags.map((t) => [
      r.name,
      t.tag,
      t.kind,
      String(t.count),
      t.count ? `${t.first_step}..${t.last_step}` : '',
    ]),
  );
  const header = ['run', 'tag', 'kind', 'points', 'steps'];
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  const empty = out.filter((r) => !r.tags.length).map((r) => r.name);
  if (empty.length) lines.push('', `runs with no data: ${empty.join(', ')}`);
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}
