/** Logdir discovery: every directory holding *tfevents* files is a run, named by its relative path. */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface RunLocation {
  /** path relative to the logdir with `/` ('.' for the logdir itself) */
  name: string;
  dir: string;
  /** event files, sorted by name (their names start with the writer's timestamp) */
  files: string[];
  projectorConfig?: string;
}

export function isEventFile(name: string): boolean {
  return name.includes('tfevents');
}

export async function discoverRuns(logdir: string): Promise<RunLocation[]> {
  const st = await stat(logdir).catch(() => undefined);
  if (!st) throw new Error(`${logdir}: no such directory`);
  if (!st.isDirectory()) throw new Error(`${logdir}: not a directory`);
  const runs: RunLocation[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    // follow symlinked run directories, but never the same directory twice (cycles)
    const real = await realpath(dir).catch(() => dir);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const files: string[] = [];
    let projectorConfig: string | undefined;
    const subdirs: string[] = [];
    for (const e of entries) {
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        isDir = !!s?.isDirectory();
        isFile = !!s?.isFile();
      }
      if (isDir) subdirs.push(full);
      else if (isFile && isEventFile(e.name)) files.push(full);
      else if (isFile && e.name === 'projector_config.pbtxt') projectorConfig = full;
    }
    if (files.length || projectorConfig) {
      const rel = relative(logdir, dir).split(sep).join('/');
      runs.push({ name: rel || '.', dir, files: files.sort(), projectorConfig });
    }
    subdirs.sort();
    for (const d of subdirs) await walk(d);
  };
  await walk(logdir);
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
