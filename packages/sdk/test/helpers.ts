/** Test helpers: read a logdir back through the real CLI (`tensorscope export --format json`). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '../../cli/bin/tensorscope.mjs');

export function tensorscope(...args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface ExportedPoint {
  step: number;
  wall_time: number;
  [k: string]: unknown;
}
export interface ExportedTag {
  tag: string;
  kind: string;
  points: ExportedPoint[];
}
export interface ExportedRun {
  name: string;
  tags: ExportedTag[];
}

export function exportLogdir(logdir: string): ExportedRun[] {
  const r = tensorscope('export', logdir, '--format', 'json');
  if (r.code !== 0) throw new Error(`export failed (${r.code}): ${r.stderr}`);
  return (JSON.parse(r.stdout) as { runs: ExportedRun[] }).runs;
}

export function tagOf(run: ExportedRun | undefined, tag: string): ExportedTag {
  const t = run?.tags.find((x) => x.tag === tag);
  if (!t) throw new Error(`tag ${tag} missing; have ${run?.tags.map((x) => x.tag).join(', ')}`);
  return t;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `tensorscope-${prefix}-`));
}
