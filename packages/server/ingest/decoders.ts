/**
 * Where runs are decoded: in worker threads (the default: decoding, most of indexing's CPU, runs in
 * parallel with the store writes on the main thread) or in this thread (`threads: 0`). A run sticks
 * to one worker, which keeps its accumulator between reads.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { ReadIssue } from '@tensorscope/formats/tfevents';
import type { FileState } from '@tensorscope/formats/tfevents/node';
import type { DecodedBatch, ResumedTag } from './run-decoder';
import { RunDecoder } from './run-decoder';

export interface Decoders {
  resume(run: string, tags: ResumedTag[], issues: ReadIssue[]): void;
  /** Forget a run's decoding state (it is re-read from scratch). */
  reset(run: string): void;
  /** Reads a file from its offset, awaiting onBatch after each chunk. */
  read(
    run: string,
    file: FileState,
    newest: boolean,
    onBatch: (b: DecodedBatch) => Promise<void>,
  ): Promise<void>;
  close(): Promise<void>;
}

/** Messages to a decode worker (decode-worker.ts). */
export type ToWorker =
  | { type: 'resume'; run: string; tags: ResumedTag[]; issues: ReadIssue[] }
  | { type: 'reset'; run: string }
  | { type: 'read'; id: number; run: string; file: FileState; newest: boolean }
  | { type: 'ack'; id: number };

/** Messages from a decode worker. */
export type FromWorker =
  | { type: 'batch'; id: number; batch: DecodedBatch }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; message: string };

/** Decoding threads by default: two on a machine with two cores or more. */
export function defaultThreads(): number {
  return Math.min(2, availableParallelism());
}

export function createDecoders(threads = defaultThreads()): Decoders {
  return threads > 0 ? new WorkerDecoders(threads) : new LocalDecoders();
}

class LocalDecoders implements Decoders {
  private readonly runs = new Map<string, RunDecoder>();

  private decoder(run: string): RunDecoder {
    let d = this.runs.get(run);
    if (!d) {
      d = new RunDecoder(run);
      this.runs.set(run, d);
    }
    return d;
  }

  resume(run: string, tags: ResumedTag[], issues: ReadIssue[]): void {
    this.decoder(run).resume(tags, issues);
  }

  reset(run: string): void {
    this.runs.delete(run);
  }

  read(run: string, file: FileState, newest: boolean, onBatch: (b: DecodedBatch) => Promise<void>) {
    return this.decoder(run).read(file, newest, onBatch);
  }

  async close(): Promise<void> {}
}

interface PendingRead {
  worker: Worker;
  onBatch: (b: DecodedBatch) => Promise<void>;
  done: () => void;
  fail: (e: Error) => void;
}

class WorkerDecoders implements Decoders {
  private readonly workers: Worker[] = [];
  private readonly byRun = new Map<string, Worker>();
  private readonly reads = new Map<number, PendingRead>();
  private nextId = 1;
  private nextWorker = 0;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const w = new Worker(new URL('./decode-thread.mjs', import.meta.url));
      w.on('message', (m: FromWorker) => this.receive(w, m));
      w.on('error', (err) => this.failAll(w, err));
      w.on('exit', (code) => this.failAll(w, new Error(`a decoding thread exited (code ${code})`)));
      w.unref(); // after the listeners (a 'message' listener refs the worker again): idle decoders must not keep the process alive
      this.workers.push(w);
    }
  }

  private worker(run: string): Worker {
    let w = this.byRun.get(run);
    if (!w) {
      w = this.workers[this.nextWorker++ % this.workers.length];
      this.byRun.set(run, w);
    }
    return w;
  }

  private post(w: Worker, m: ToWorker): void {
    w.postMessage(m);
  }

  private receive(w: Worker, m: FromWorker): void {
    const r = this.reads.get(m.id);
    if (!r) {
      // a read that failed on this side: let the worker run it to its end
      if (m.type === 'batch') this.post(w, { type: 'ack', id: m.id });
      return;
    }
    if (m.type === 'batch') {
      r.onBatch(m.batch).then(
        () => this.post(w, { type: 'ack', id: m.id }),
        (err: Error) => {
          this.reads.delete(m.id);
          r.fail(err);
          this.post(w, { type: 'ack', id: m.id }); // let the worker finish; the run is retried next poll
        },
      );
    } else {
      this.reads.delete(m.id);
      if (m.type === 'done') r.done();
      else r.fail(new Error(m.message));
    }
  }

  private failAll(w: Worker, err: Error): void {
    for (const [id, r] of this.reads) {
      if (r.worker !== w) continue;
      this.reads.delete(id);
      r.fail(err);
    }
  }

  resume(run: string, tags: ResumedTag[], issues: ReadIssue[]): void {
    this.post(this.worker(run), { type: 'resume', run, tags, issues });
  }

  reset(run: string): void {
    const w = this.byRun.get(run);
    if (w) this.post(w, { type: 'reset', run });
  }

  read(run: string, file: FileState, newest: boolean, onBatch: (b: DecodedBatch) => Promise<void>) {
    const worker = this.worker(run);
    const id = this.nextId++;
    return new Promise<void>((done, fail) => {
      this.reads.set(id, { worker, onBatch, done, fail });
      this.post(worker, { type: 'read', id, run, file, newest });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
