/**
 * Child process of bench/tfevents.ts: ingests one logdir and prints the memory it holds afterwards,
 * measured in a fresh process so nothing else the benchmark did is counted.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { RunReader } from '@tensorscope/formats/tfevents/node';
import { gc } from './measure';

const dir = process.argv[2];
gc();
const before = process.memoryUsage();
const runs: RunReader[] = [];
let points = 0;
let columns = 0;
for (const d of readdirSync(dir).filter((x) => x.startsWith('run_'))) {
  const r = new RunReader(d, join(dir, d));
  await r.poll();
  r.data.trim();
  for (const s of r.data.tags.values()) {
    if (s.kind !== 'scalar') continue;
    points += s.columns.length;
    columns += s.columns.byteLength;
  }
  runs.push(r);
}
gc();
await new Promise((resolve) => setTimeout(resolve, 100));
gc();
const after = process.memoryUsage();
const held = after.heapUsed + after.external - (before.heapUsed + before.external);
process.stdout.write(JSON.stringify({ runs: runs.length, points, columns, held, rss: after.rss }) + '\n');
