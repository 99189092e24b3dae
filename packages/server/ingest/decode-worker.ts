/**
 * A decoding worker: keeps a RunDecoder per run it was given and answers reads with one batch per
 * chunk, each waiting for the main thread's ack before the next chunk is read (so at most one chunk
 * per run is in flight: memory stays bounded when the store is the slower side).
 */
import { parentPort } from 'node:worker_threads';
import type { FromWorker, ToWorker } from './decoders';
import { RunDecoder, transferables } from './run-decoder';

const port = parentPort;
if (!port) throw new Error('decode-worker.ts runs as a worker thread.');
const runs = new Map<string, RunDecoder>();
const acks = new Map<number, () => void>();

function decoder(run: string): RunDecoder {
  let d = runs.get(run);
  if (!d) {
    d = new RunDecoder(run);
    runs.set(run, d);
  }
  return d;
}

function send(m: FromWorker, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(m, transfer);
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'resume') decoder(m.run).resume(m.tags, m.issues);
  else if (m.type === 'reset') runs.delete(m.run);
  else if (m.type === 'ack') {
    acks.get(m.id)?.();
    acks.delete(m.id);
  } else {
    decoder(m.run)
      .read(m.file, m.newest, (batch) => {
        const acked = new Promise<void>((r) => acks.set(m.id, r));
        send({ type: 'batch', id: m.id, batch }, transferables(batch));
        return acked;
      })
      .then(
        () => send({ type: 'done', id: m.id }),
        (err: unknown) =>
          send({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
      );
  }
});
