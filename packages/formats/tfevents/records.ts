/**
 * TFRecord framing: uint64 length, masked CRC of the length, data, masked CRC of the data.
 * The scanner never throws on bad bytes: it reports the bad record (file, offset) and resynchronizes
 * on the next offset where a valid length+CRC header starts.
 */
import { maskedCrc32c } from './crc32c';
import type { ReadIssue } from './types';

const HEADER = 12;
const FOOTER = 4;
/** Records longer than this are treated as corrupt lengths (TensorBoard events are far smaller). */
export const MAX_RECORD_BYTES = 1 << 30;

function u32(buf: Uint8Array, p: number): number {
  return (buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24)) >>> 0;
}

export interface ScanResult {
  /** offset just past the last complete record (or skipped garbage): where the next read continues */
  consumed: number;
  /** bytes at the end that may be a record still being written */
  partial: boolean;
}

/** A header is plausible when its length CRC matches and the length is sane. */
function headerOk(buf: Uint8Array, p: number): boolean {
  const lo = u32(buf, p);
  const hi = u32(buf, p + 4);
  return hi === 0 && lo <= MAX_RECORD_BYTES && u32(buf, p + 8) === maskedCrc32c(buf, p, p + 8);
}

/**
 * Calls onRecord(start, end) for every valid record in buf[from..). `baseOffset` is the file offset of
 * buf[0], used in issue reports. With `eof` false, a trailing incomplete record is left unconsumed
 * (the file may still be growing); with `eof` true it is reported as truncated.
 */
export function scanRecords(
  buf: Uint8Array,
  file: string,
  onRecord: (start: number, end: number) => void,
  onIssue: (issue: ReadIssue) => void,
  opts: { from?: number; baseOffset?: number; eof?: boolean } = {},
): ScanResult {
  const base = opts.baseOffset ?? 0;
  let p = opts.from ?? 0;
  const n = buf.length;
  while (p < n) {
    if (n - p < HEADER) break;
    if (!headerOk(buf, p)) {
      const next = resync(buf, p + 1);
      onIssue({
        file,
        offset: base + p,
        message:
          next < 0
            ? `corrupt record header; no valid record follows in the ${n - p} bytes read`
            : `corrupt record header; skipped ${next - p} bytes to the next valid record`,
      });
      if (next < 0) {
        // keep the tail: a growing file may complete a record there; at EOF it is garbage
        return { consumed: opts.eof ? n : Math.max(p + 1, n - HEADER + 1), partial: !opts.eof };
      }
      p = next;
      continue;
    }
    const len = u32(buf, p);
    const end = p + HEADER + len + FOOTER;
    if (end > n) break;
    const dataStart = p + HEADER;
    if (u32(buf, dataStart + len) !== maskedCrc32c(buf, dataStart, dataStart + len)) {
      onIssue({
        file,
        offset: base + p,
        message: `data CRC mismatch in a ${len}-byte record; record skipped`,
      });
    } else onRecord(dataStart, dataStart + len);
    p = end;
  }
  if (p < n && opts.eof) {
    onIssue({ file, offset: base + p, message: `truncated record: file ends ${n - p} bytes into a record` });
    return { consumed: n, partial: false };
  }
  return { consumed: p, partial: p < n };
}

/** The next offset at or after `from` holding a plausible record header, or -1. */
function resync(buf: Uint8Array, from: number): number {
  for (let q = from; q + HEADER <= buf.length; q++) {
    // cheap pre-check before computing a CRC: the high length word must be zero
    if (buf[q + 4] === 0 && buf[q + 5] === 0 && buf[q + 6] === 0 && buf[q + 7] === 0 && headerOk(buf, q))
      return q;
  }
  return -1;
}

/** Frames one record. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER + data.length + FOOTER);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, data.length, true);
  dv.setUint32(4, 0, true);
  dv.setUint32(8, maskedCrc32c(out, 0, 8), true);
  out.set(data, HEADER);
  dv.setUint32(HEADER + data.length, maskedCrc32c(data), true);
  return out;
}
