/**
 * Server-sent events to open pages: `runs` when runs appear or go away, `data` when a run got new
 * points (the page refetches what it shows), and a `: ping` comment every 15 s so proxies keep the
 * connection open.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

export type HubListener = (event: string, data: unknown) => void;

export class EventHub {
  private readonly clients = new Set<ServerResponse>();
  private readonly listeners = new Set<HubListener>();
  private readonly timer: NodeJS.Timeout;

  constructor(pingMillis = 15_000) {
    this.timer = setInterval(() => this.write(': ping\n\n'), pingMillis);
    this.timer.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  send(event: string, data: unknown): void {
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    for (const fn of this.listeners) fn(event, data);
  }

  /** Server-side subscribers see every event sent (e.g. the doctor recomputes a run on `data`). */
  subscribe(fn: HubListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private write(chunk: string): void {
    for (const res of this.clients) res.write(chunk);
  }

  routes(app: FastifyInstance): void {
    app.get('/api/events', (req, reply) => {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...(reply.getHeaders() as Record<string, string>),
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      });
      res.write('retry: 1000\n: connected\n\n');
      this.clients.add(res);
      req.raw.on('close', () => this.clients.delete(res));
    });
  }

  close(): void {
    clearInterval(this.timer);
    this.listeners.clear();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }
}
