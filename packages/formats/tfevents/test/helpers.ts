import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEvent, scanRecords, type TfEvent } from '../index';

export const FIXTURES = join(import.meta.dirname, '../../../../../shared/fixtures/tfevents');

export function tempDir(prefix = 'ts-tfevents-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Every record of a buffer decoded, with the issues the scan reported. */
export function readAll(buf: Uint8Array, eof = true) {
  const events: TfEvent[] = [];
  const records: Uint8Array[] = [];
  const issues: { offset: number; message: string }[] = [];
  scanRecords(
    buf,
    'mem',
    (s, e) => {
      records.push(buf.slice(s, e));
      events.push(decodeEvent(buf, s, e));
    },
    (i) => issues.push(i),
    { eof },
  );
  return { events, records, issues };
}
