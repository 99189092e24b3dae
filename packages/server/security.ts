/**
 * Secure defaults: strict headers on every response; on a non-loopback host a bearer token on every
 * /api route; on loopback, a Host check so a page on another site cannot reach the API through DNS
 * rebinding.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';

// 'wasm-unsafe-eval' lets the model viewer compile WebAssembly (h5wasm for Keras files); it allows no JS eval
export const CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
  "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; " +
  "frame-ancestors 'none'";

export function isLoopback(host: string): boolean {
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function requestToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = (req.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' ? q : undefined;
}

export function secure(app: FastifyInstance, opts: { token?: string; loopback: boolean }): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('Content-Security-Policy', CSP);
    reply.header('X-Content-Type-Options', 'nosniff');
    reply.header('X-Frame-Options', 'DENY');
    reply.header('Referrer-Policy', 'no-referrer');
    reply.header('Cross-Origin-Resource-Policy', 'same-origin');
    if (!req.url.startsWith('/api/')) return;
    if (opts.token) {
      const given = requestToken(req);
      if (!given || !sameToken(given, opts.token)) {
        return reply
          .code(401)
          .send({ error: 'this server needs its access token: open the URL it printed.' });
      }
    } else if (opts.loopback) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      if (!isLoopback(host)) {
        return reply
          .code(403)
          .send({ error: `requests for host "${host}" are refused on a loopback server.` });
      }
    }
  });
}
