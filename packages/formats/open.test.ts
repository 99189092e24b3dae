/**
 * Every file in ../shared/fixtures through openModel: it opens, or fails with a ModelError that is one
 * sentence naming the file. Opened models must also read every tensor or reject the same way.
 * Files of the formats registered here must open as those formats.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelError } from './model';
import { fileSource } from './node-source';
import { FIXTURES } from './onnx/test/python';
import { openModel } from './open';

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const files = walk(FIXTURES);

/** what must open as what: the formats this folder owns */
function expectedFormat(path: string): string | undefined {
  const rel = relative(FIXTURES, path);
  if (rel.endsWith('.onnx')) return 'onnx';
  if (/^onnx-(node-tests|models)\/.*\.pb$/.test(rel)) return 'onnx-tensor';
  return undefined;
}

function expectOneSentence(err: unknown, path: string): void {
  expect(err, path).toBeInstanceOf(ModelError);
  const message = (err as Error).message;
  expect(message.startsWith(`${basename(path)}: `), message).toBe(true);
  expect(message, path).not.toMatch(/\n/);
  expect(message.length, path).toBeLessThan(300);
}

describe('every fixture file', () => {
  it(`opens or fails with one sentence naming the file (${files.length} files)`, async () => {
    const outcomes = { opened: 0, refused: 0, tensorsRead: 0 };
    for (const path of files) {
      const want = expectedFormat(path);
      let model: Awaited<ReturnType<typeof openModel>> | undefined;
      try {
        model = await openModel(await fileSource(path));
      } catch (err) {
        expect(want, `${path} should open as ${want}: ${err}`).toBeUndefined();
        expectOneSentence(err, path);
        outcomes.refused++;
        continue;
      }
      outcomes.opened++;
      if (want) expect(model.format, path).toBe(want);
      for (const t of model.tensors) {
        try {
          await t.read();
          outcomes.tensorsRead++;
        } catch (err) {
          expectOneSentence(err, path);
        }
      }
    }
    expect(outcomes.opened).toBeGreaterThanOrEqual(files.filter(expectedFormat).length);
    expect(outcomes.tensorsRead).toBeGreaterThan(1000);
  });

  it('refuses what is not a model with the list of formats tried', async () => {
    const manifest = join(FIXTURES, 'MANIFEST.md');
    const err = await openModel(await fileSource(manifest)).catch((e: unknown) => e);
    expectOneSentence(err, manifest);
    expect((err as Error).message).toMatch(
      /^MANIFEST\.md: not a recognized model format \(tried onnx, graphdef, /,
    );
  });
});
