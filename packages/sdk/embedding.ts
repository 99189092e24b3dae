/**
 * Embeddings for the projector, laid out as tensorboardX's add_embedding does: per embedding a folder
 * `<step:05d>/<tag>/` with tensors.tsv, metadata.tsv and sprite.png, and an entry in the run's
 * projector_config.pbtxt (rewritten whole, so a reader never sees half an entry).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ImageInput, imageGrid, imagePng } from './image';

export interface EmbeddingOptions {
  /** one label per row, or one row of columns per row (then `metadataHeader` names the columns) */
  metadata?: (string | number)[] | (string | number)[][];
  metadataHeader?: string[];
  /** one thumbnail per row, all the same size: written as the projector's sprite */
  labelImages?: ImageInput[];
  tag?: string;
  step?: number;
}

export interface EmbeddingFiles {
  /** projector_config.pbtxt entry */
  entry: string;
  files: { path: string; data: string | Uint8Array }[];
}

const cell = (v: string | number) => String(v).replace(/[\t\r\n]/g, ' ');
const quote = (s: string) => JSON.stringify(s);

/** The files of one embedding (paths relative to the run directory) and its projector config entry. */
export function embeddingFiles(
  rows: ArrayLike<number>[] | { data: ArrayLike<number>; shape: [number, number] },
  opts: EmbeddingOptions = {},
): EmbeddingFiles {
  const [n, dim] = 'shape' in rows ? rows.shape : [rows.length, rows[0]?.length ?? 0];
  const row = (i: number): ArrayLike<number> =>
    'shape' in rows ? Array.prototype.slice.call(rows.data, i * dim, (i + 1) * dim) : rows[i];
  if (!n || !dim) throw new Error('embedding: the matrix is empty');
  const tag = (opts.tag ?? 'default').replace(/[^\w.-]/g, '_');
  const dir = `${String(opts.step ?? 0).padStart(5, '0')}/${tag}`;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = row(i);
    if (r.length !== dim) throw new Error(`embedding: row ${i} has ${r.length} values, row 0 has ${dim}`);
    lines.push(Array.prototype.join.call(r, '\t'));
  }
  const files: EmbeddingFiles['files'] = [{ path: `${dir}/tensors.tsv`, data: lines.join('\n') + '\n' }];
  const entry = [
    'embeddings {',
    `  tensor_name: ${quote(`${tag}:${String(opts.step ?? 0).padStart(5, '0')}`)}`,
    `  tensor_path: ${quote(`${dir}/tensors.tsv`)}`,
  ];
  if (opts.metadata) {
    if (opts.metadata.length !== n)
      throw new Error(`embedding: ${opts.metadata.length} metadata rows for ${n} embedding rows`);
    const meta = opts.metadata.map((m) => (Array.isArray(m) ? m.map(cell).join('\t') : cell(m)));
    // TensorBoard reads a header row only when there are several columns
    const header =
      opts.metadataHeader && opts.metadataHeader.length > 1 ? [opts.metadataHeader.map(cell).join('\t')] : [];
    files.push({ path: `${dir}/metadata.tsv`, data: [...header, ...meta].join('\n') + '\n' });
    entry.push(`  metadata_path: ${quote(`${dir}/metadata.tsv`)}`);
  }
  if (opts.labelImages) {
    const imgs = opts.labelImages;
    if (imgs.length !== n) throw new Error(`embedding: ${imgs.length} label images for ${n} embedding rows`);
    // the projector expects a square grid of ceil(sqrt(n)) thumbnails a side, no spacing
    const side = Math.ceil(Math.sqrt(n));
    const blank: ImageInput = { ...imgs[0], data: new Uint8Array(imgs[0].data.length) };
    const padded = [...imgs, ...Array.from({ length: side * side - n }, () => blank)];
    files.push({ path: `${dir}/sprite.png`, data: imagePng(imageGrid(padded, side, 0)).png });
    entry.push(
      '  sprite {',
      `    image_path: ${quote(`${dir}/sprite.png`)}`,
      `    single_image_dim: ${imgs[0].width}`,
      `    single_image_dim: ${imgs[0].height}`,
      '  }',
    );
  }
  entry.push('}');
  return { entry: entry.join('\n') + '\n', files };
}

/** Writes an embedding's files under `runDir`, then the projector config holding `entries`. */
export async function writeEmbedding(runDir: string, emb: EmbeddingFiles, entries: string[]): Promise<void> {
  for (const f of emb.files) {
    const path = join(runDir, f.path);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, f.data);
  }
  await writeFile(join(runDir, 'projector_config.pbtxt'), entries.join(''));
}
