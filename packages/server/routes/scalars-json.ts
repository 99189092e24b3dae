/**
 * The /api/scalars answer written into a reused buffer. A 1,000-run answer is ~2 MB: as one string it
 * was a fresh large allocation on every request, measured twice more (its UTF-8 length, then its
 * encoding into the socket), and each of those passes paid page faults on fresh memory. Here each
 * series is stringified on its own (JSON.stringify's number formatting, small young strings) and
 * encoded once into a buffer kept for the next request: the bytes are those of
 * `JSON.stringify({ tag, series })`.
 */

/** Buffers kept between requests (one per request in flight; a request that ends early drops its own). */
const free: Buffer[] = [];
const KEEP = 2;

export class JsonOut {
  private buf: Buffer;
  private at = 0;

  constructor(sizeHint = 1 << 16) {
    this.buf = free.pop() ?? Buffer.allocUnsafeSlow(sizeHint);
  }

  /** Appends a string's UTF-8 bytes. */
  write(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit
    if (this.buf.length - this.at < 3 * s.length) this.grow(this.at + 3 * s.length);
    this.at += this.buf.write(s, this.at);
  }

  /** The bytes written (a view of the buffer: valid until `release`). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.at);
  }

  /** Gives the buffer back for another request, once the socket has taken its bytes. */
  release(): void {
    if (free.length < KEEP) free.push(this.buf);
    this.buf = Buffer.alloc(0);
    this.at = 0;
  }

  private grow(need: number): void {
    const next = Buffer.allocUnsafeSlow(Math.max(need, 2 * this.buf.length));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
  }
}
