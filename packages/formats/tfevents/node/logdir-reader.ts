/** A logdir as a set of runs that appear, grow and go away; each poll reads what is new. */
import { discoverRuns } from './discover';
import { RunReader } from './run-reader';

export interface LogdirChange {
  added: string[];
  removed: string[];
  /** run name -> tags with new points */
  changed: Map<string, Set<string>>;
}

export class LogdirReader {
  readonly runs = new Map<string, RunReader>();

  constructor(readonly logdir: string) {}

  async poll(): Promise<LogdirChange> {
    const found = await discoverRuns(this.logdir);
    const names = new Set(found.map((r) => r.name));
    const change: LogdirChange = { added: [], removed: [], changed: new Map() };
    for (const name of [...this.runs.keys()]) {
      if (!names.has(name)) {
        this.runs.delete(name);
        change.removed.push(name);
      }
    }
    for (const loc of found) {
      let run = this.runs.get(loc.name);
      if (!run) {
        run = new RunReader(loc.name, loc.dir);
        this.runs.set(loc.name, run);
        change.added.push(loc.name);
      }
      const tags = await run.poll();
      if (tags.size) change.changed.set(loc.name, tags);
    }
    return change;
  }
}

/** Reads a whole logdir once (for the CLI): every run, every point. */
export async function readLogdir(logdir: string): Promise<LogdirReader> {
  const reader = new LogdirReader(logdir);
  await reader.poll();
  for (const run of reader.runs.values()) run.data.trim();
  return reader;
}
