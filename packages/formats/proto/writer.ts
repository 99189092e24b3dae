/** Protocol-buffer wire-format writer: fields are appended to a growable byte buffer. */
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './reader';

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Runs a builder over this writer (for chained construction). */
  also(build: (w: ProtoWriter) => void): this {
    build(this);
    return this;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private key(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  /** Unsigned varint of a non-negative integer up to 2^53; negative numbers are written as 64-bit two's complement. */
  varint(v: number): void {
    this.ensure(10);
    if (v < 0) {
      // two's complement over 64 bits
      const lo = Number(BigInt.asUintN(64, BigInt(v)) & 0xffffffffn);
      const hi = Number(BigInt.asUintN(64, BigInt(v)) >> 32n);
      this.varint64(lo, hi);
      return;
    }
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.pos++] = v;
  }

  private varint64(lo: number, hi: number): void {
    while (hi > 0 || lo >= 0x80) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
  }

  uint(field: number, v: number): this {
    this.key(field, WIRE_VARINT);
    this.varint(v);
    return this;
  }

  int(field: number, v: number): this {
    return this.uint(field, v);
  }

  bool(field: number, v: boolean): this {
    return this.uint(field, v ? 1 : 0);
  }

  double(field: number, v: number): this {
    this.key(field, WIRE_I64);
    this.ensure(8);
    this.view.setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  float(field: number, v: number): this {
    this.key(field, WIRE_I32);
    this.ensure(4);
    this.view.setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }

  bytes(field: number, v: Uint8Array): this {
    this.key(field, WIRE_LEN);
    this.varint(v.length);
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** Appends already-encoded bytes (whole fields copied from another message). */
  raw(v: Uint8Array): this {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  string(field: number, v: string): this {
    return this.bytes(field, textEncoder.encode(v));
  }

  /** An embedded message, built by the callback. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const w = new ProtoWriter();
    build(w);
    return this.bytes(field, w.finish());
  }

  packedDoubles(field: number, values: ArrayLike<number>): this {
    this.key(field, WIRE_LEN);
    this.varint(values.length * 8);
    this.ensure(values.length * 8);
    for (let i = 0; i < values.length; i++, this.pos += 8) this.view.setFloat64(this.pos, values[i], true);
    return this;
  }

  packedFloats(field: number, values: ArrayLike<number>): this {
    this.key(field, WIRE_LEN);
    this.varint(values.length * 4);
    this.ensure(values.length * 4);
    for (let i = 0; i < values.length; i++, this.pos += 4) this.view.setFloat32(this.pos, values[i], true);
    return this;
  }

  packedVarints(field: number, values: ArrayLike<number>): this {
    const w = new ProtoWriter();
    for (let i = 0; i < values.length; i++) w.varint(values[i]);
    return this.bytes(field, w.finish());
  }
}
