import { describe, expect, it } from 'vitest';
import { bytesSource, fileListSource } from './browser-source';

function file(path: string, bytes: number[]): File {
  const f = new File([Uint8Array.from(bytes)], path.split('/').at(-1)!);
  // a dropped folder gives each File its path inside the folder
  Object.defineProperty(f, 'webkitRelativePath', { value: path });
  return f;
}

describe('browser sources', () => {
  it('read byte ranges of a File and find dropped siblings, never outside the folder', async () => {
    const files = [
      file('m/model.onnx', [1, 2, 3, 4, 5]),
      file('m/data/w.bin', [9, 8]),
      file('other.bin', [7]),
    ];
    const src = fileListSource(files);
    expect([src.name, src.size]).toEqual(['model.onnx', 5]);
    expect(await src.read(1, 3)).toEqual(Uint8Array.from([2, 3, 4]));
    const sib = await src.sibling('data/w.bin');
    expect(sib?.name).toBe('w.bin');
    expect(await sib?.read(0, 2)).toEqual(Uint8Array.from([9, 8]));
    expect(await src.sibling('./data/../data/w.bin')).toBeDefined();
    expect(await src.sibling('../other.bin')).toBeUndefined();
    expect(await src.sibling('/etc/passwd')).toBeUndefined();
    expect(await src.sibling('missing.bin')).toBeUndefined();
  });

  it('wrap bytes already in memory', async () => {
    const src = bytesSource('x.onnx', Uint8Array.from([5, 6, 7]));
    expect(await src.read(1, 2)).toEqual(Uint8Array.from([6, 7]));
    expect(await src.sibling('y')).toBeUndefined();
  });
});
