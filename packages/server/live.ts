/**
 * The ingest loop: polls the logdirs every second (sizes and mtimes; fs.watch is unreliable across
 * filesystems) and pushes what changed to open pages. Polls never overlap: a long first index
 * simply delays the next poll.
 */

import type { IndexChange, Indexer } from './ingest/indexer';
import type { EventHub } from './sse';

export class LiveIndex {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private current: Promise<void> = Promise.resolve();
  /** resolves after the first complete poll */
  readonly ready: Promise<void>;
  private markReady!: () => void;
  lastError: string | undefined;

  constructor(
    private readonly indexer: Indexer,
    private readonly hub: EventHub,
    private readonly intervalMs = 1000,
    private readonly onChange?: (c: IndexChange) => void,
    private readonly onProgress?: (points: number) => void,
  ) {
    this.ready = new Promise((r) => {
      this.markReady = r;
    });
  }

  start(): void {
    this.tick();
  }

  private tick(): void {
    if (this.stopped) return;
    this.current = this.pollOnce().finally(() => {
      this.markReady();
      if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.intervalMs);
    });
  }

  private async pollOnce(): Promise<void> {
    try {
      const c = await this.indexer.poll(this.onProgress);
      this.lastError = undefined;
      if (c.added.length || c.removed.length) this.hub.send('runs', { added: c.added, removed: c.removed });
      const runs = new Set([...c.changed.keys(), ...c.issues]);
      for (const run of runs) this.hub.send('data', { run, tags: c.changed.get(run) ?? [] });
      this.onChange?.(c);
    } catch (err) {
      // an unreadable file or a full disk must not stop the loop: report once, try again next tick
      const message = err instanceof Error ? err.message : String(err);
      if (message !== this.lastError) process.stderr.write(`tensorscope: indexing failed: ${message}\n`);
      this.lastError = message;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.indexer.stop();
    clearTimeout(this.timer);
    await this.current;
  }
}
