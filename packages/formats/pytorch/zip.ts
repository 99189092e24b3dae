/**
 * A small zip central-directory reader over ModelSource.read, so entries are read lazily
 * (torch archives store tensors uncompressed: an entry's bytes are a plain file range).
 * Supports zip64 and deflate (fflate). Damage is reported as a ModelError naming the file.
 */
import { inflateSync } from 'fflate';
import { ModelError, type ModelSource } from '../model';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export class ZipArchive {
  private constructor(
    readonly source: ModelSource,
    readonly entries: Map<string, ZipEntry>,
  ) {}

  /** undefined when the source is not a zip; throws (plain Error) when it is a damaged one */
  static async open(source: ModelSource): Promise<ZipArchive | undefined> {
    // the end record is the last 22 bytes unless the archive has a comment: try that first
    let tailLength = Math.min(source.size, 22 + 20);
    let tail = await source.read(source.size - tailLength, tailLength);
    let view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
    const find = () => {
      for (let i = tail.length - 22; i >= 0; i--) if (view.getUint32(i, true) === 0x06054b50) return i;
      return -1;
    };
    let eocd = find();
    if (eocd < 0 && source.size > tailLength) {
      tailLength = Math.min(source.size, 65557 + 20);
      tail = await source.read(source.size - tailLength, tailLength);
      view = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
      eocd = find();
    }
    if (eocd < 0) return undefined;
    let count = view.getUint16(eocd + 10, true);
    let cdSize = view.getUint32(eocd + 12, true);
    let cdOffset = view.getUint32(eocd + 16, true);
    const locator = eocd - 20;
    if (locator >= 0 && view.getUint32(locator, true) === 0x07064b50) {
      const z64Offset = Number(view.getBigUint64(locator + 8, true));
      const z = await source.read(z64Offset, 56);
      const zv = new DataView(z.buffer, z.byteOffset, z.byteLength);
      if (zv.getUint32(0, true) !== 0x06064b50)
        throw new ModelError(source.name, 'the zip64 end record is damaged');
      count = Number(zv.getBigUint64(32, true));
      cdSize = Number(zv.getBigUint64(40, true));
      cdOffset = Number(zv.getBigUint64(48, true));
    }
    if (cdOffset + cdSize > source.size)
      throw new ModelError(source.name, 'the zip central directory lies outside the file');
    const cd = await source.read(cdOffset, cdSize);
    const cv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
    const entries = new Map<string, ZipEntry>();
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cd.length || cv.getUint32(p, true) !== 0x02014b50)
        throw new ModelError(source.name, 'the zip central directory is damaged');
      const nameLength = cv.getUint16(p + 28, true);
      const extraLength = cv.getUint16(p + 30, true);
      const commentLength = cv.getUint16(p + 32, true);
      if (p + 46 + nameLength + extraLength + commentLength > cd.length)
        throw new ModelError(source.name, 'the zip central directory is damaged');
      const entry: ZipEntry = {
        name: new TextDecoder().decode(cd.subarray(p + 46, p + 46 + nameLength)),
        method: cv.getUint16(p + 10, true),
        compressedSize: cv.getUint32(p + 20, true),
        size: cv.getUint32(p + 24, true),
        localHeaderOffset: cv.getUint32(p + 42, true),
      };
      // zip64 extra field: only the fields saturated in the fixed part are present, in this order
      let e = p + 46 + nameLength;
      const extraEnd = e + extraLength;
      while (e + 4 <= extraEnd) {
        const id = cv.getUint16(e, true);
        const len = cv.getUint16(e + 2, true);
        if (id === 1 && e + 4 + len <= extraEnd) {
          let q = e + 4;
          const next = () => {
            if (q + 8 > e + 4 + len)
              throw new ModelError(source.name, `zip entry ${entry.name} has a damaged zip64 field`);
            const v = Number(cv.getBigUint64(q, true));
            q += 8;
            return v;
          };
          if (entry.size === 0xffffffff) entry.size = next();
          if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
          if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
        }
        e += 4 + len;
      }
      entries.set(entry.name, entry);
      p = extraEnd + commentLength;
    }
    return new ZipArchive(source, entries);
  }

  private readonly offsets = new Map<ZipEntry, number>();

  /** file offset of an entry's data (its local header's extra field may differ from the central one) */
  async dataOffset(entry: ZipEntry): Promise<number> {
    const known = this.offsets.get(entry);
    if (known !== undefined) return known;
    const h = await this.source.read(entry.localHeaderOffset, 30);
    const hv = new DataView(h.buffer, h.byteOffset, h.byteLength);
    if (h.length < 30 || hv.getUint32(0, true) !== 0x04034b50)
      throw new ModelError(this.source.name, `zip entry ${entry.name} is damaged`);
    const offset = entry.localHeaderOffset + 30 + hv.getUint16(26, true) + hv.getUint16(28, true);
    this.offsets.set(entry, offset);
    return offset;
  }

  /** `length` bytes of a stored entry from `offset`, or the whole (inflated) entry */
  async read(entry: ZipEntry, offset = 0, length = entry.size - offset): Promise<Uint8Array> {
    const start = await this.dataOffset(entry);
    if (entry.method === 0) {
      if (offset + length > entry.size)
        throw new ModelError(this.source.name, `zip entry ${entry.name} is shorter than expected`);
      if (start + offset + length > this.source.size)
        throw new ModelError(this.source.name, `zip entry ${entry.name} is truncated`);
      return this.source.read(start + offset, length);
    }
    if (entry.method !== 8)
      throw new ModelError(
        this.source.name,
        `zip entry ${entry.name} uses unsupported compression ${entry.method}`,
      );
    if (start + entry.compressedSize > this.source.size)
      throw new ModelError(this.source.name, `zip entry ${entry.name} is truncated`);
    let inflated: Uint8Array;
    try {
      inflated = inflateSync(await this.source.read(start, entry.compressedSize));
    } catch (e) {
      throw new ModelError(
        this.source.name,
        `zip entry ${entry.name} cannot be inflated (${(e as Error).message})`,
      );
    }
    if (offset + length > inflated.length)
      throw new ModelError(this.source.name, `zip entry ${entry.name} is shorter than expected`);
    return inflated.subarray(offset, offset + length);
  }
}
