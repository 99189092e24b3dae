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
  // `real`: dir's resolved path. Only a symlink can lead back to a directory already walked, so only
  // symlinked directories are resolved (a realpath per directory per poll was ~a third of the cost
  // of polling 1,000 runs every second); a plain subdirectory's real path is its parent's plus its name
  const walk = async (dir: string, real: string): Promise<void> => {
    // follow symlinked run directories, but never the same directory twice (cycles)
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    const files: string[] = [];
    let projectorConfig: string | undefined;
    const subdirs: [string, string][] = [];
    for (const e of entries) {
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      let target = join(real, e.name);
      if (e.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        isDir = !!s?.isDirectory();
        isFile = !!s?.isFile();
        if (isDir) target = await realpath(full).catch(() => full);
      }
      if (isDir) subdirs.push([full, target]);
      else if (isFile && isEventFile(e.name)) files.push(full);
      else if (isFile && e.name === 'projector_config.pbtxt') projectorConfig = full;
    }
    if (files.length || projectorConfig) {
      const rel = relative(logdir, dir).split(sep).join('/');
      runs.push({ name: rel || '.', dir, files: files.sort(), projectorConfig });
    }
    subdirs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    for (const [d, r] of subdirs) await walk(d, r);
  };
  await walk(logdir, await realpath(logdir).catch(() => logdir));
  return runs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
