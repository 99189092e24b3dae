/** Reading a logdir for the CLI: every run, with progress on a TTY and run/tag/kind filters. */
import { stat } from 'node:fs/promises';
import type { Kind, ReadIssue, TagSeries } from '@tensorscope/formats/tfevents';
import { discoverRuns, RunReader } from '@tensorscope/formats/tfevents/node';
import { UsageError } from './errors';

export const KINDS: readonly Kind[] = [
  'scalar',
  'histogram',
  'image',
  'audio',
  'text',
  'tensor',
  'pr_curve',
  'hparams',
  'graph',
  'embedding',
  'mesh',
  'custom_scalars',
];

export interface LoadedRun {
  name: string;
  tags: TagSeries[];
  issues: ReadIssue[];
}

export interface Filters {
  run?: RegExp;
  tag?: RegExp;
  kind?: string;
}

export function checkKind(kind: string | undefined): void {
  if (kind !== undefined && !KINDS.includes(kind as Kind)) {
    throw new UsageError(`--kind ${JSON.stringify(kind)} is not a kind; use one of ${KINDS.join(', ')}.`);
  }
}

export async function loadLogdir(logdir: string, filters: Filters = {}): Promise<LoadedRun[]> {
  const st = await stat(logdir).catch(() => undefined);
  if (!st) throw new UsageError(`${logdir}: no such file or directory.`);
  if (!st.isDirectory())
    throw new UsageError(`${logdir}: not a directory (a logdir holds event files in its subdirectories).`);
  const locations = (await discoverRuns(logdir)).filter((r) => !filters.run || filters.run.test(r.name));
  const tty = process.stderr.isTTY;
  const runs: LoadedRun[] = [];
  for (let i = 0; i < locations.length; i++) {
    if (tty)
      process.stderr.write(
        `\rreading run ${i + 1}/${locations.length}: ${locations[i].name.slice(0, 60)}\x1b[K`,
      );
    const reader = new RunReader(locations[i].name, locations[i].dir);
    await reader.poll();
    reader.data.trim();
    const tags = [...reader.data.tags.values()].filter(
      (s) => (!filters.tag || filters.tag.test(s.tag)) && (!filters.kind || s.kind === filters.kind),
    );
    runs.push({ name: reader.name, tags, issues: reader.data.issues });
  }
  if (tty && locations.length) process.stderr.write('\r\x1b[K');
  return runs;
}

/** Read problems go to stderr, one line each; they never stop the command. */
export function reportIssues(runs: LoadedRun[]): void {
  for (const run of runs) {
    for (const i of run.issues) {
      process.stderr.write(
        `warning: ${i.file}${i.offset >= 0 ? ` at byte ${i.offset}` : ''}: ${i.message}\n`,
      );
    }
  }
}

/** Writes to stdout or a file, honouring back-pressure so huge exports stream in bounded memory. */
export class Output {
  private parts: string[] = [];
  private size = 0;
  constructor(private readonly stream: NodeJS.WritableStream) {}

  async write(s: string): Promise<void> {
    this.parts.push(s);
    this.size += s.length;
    if (this.size > 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    if (!this.parts.length) return;
    const chunk = this.parts.join('');
    this.parts = [];
    this.size = 0;
    if (!this.stream.write(chunk))
      await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }
}
