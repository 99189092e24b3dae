import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

// Defence in depth behind DOMPurify: the built page may run only its own scripts (and WebAssembly,
// which the model viewer's parsers use).
// (Build only: the dev server's React refresh needs an inline script.)
const csp: Plugin = {
  name: 'tensorscope-csp',
  apply: 'build',
  transformIndexHtml: () => [
    {
      tag: 'meta',
      attrs: {
        'http-equiv': 'Content-Security-Policy',
        content:
          "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' blob: data:; " +
          "media-src 'self' blob:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'",
      },
      injectTo: 'head-prepend',
    },
  ],
};

// The dev server proxies /api to a running `tensorscope serve` (TENSORSCOPE_API, default :6006).
export default defineConfig({
  root: import.meta.dirname,
  base: './',
  plugins: [react(), csp],
  // the model viewer's parsers are one large chunk, loaded only when its tab opens
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 6000 },
  worker: { format: 'es' },
  server: { proxy: { '/api': process.env.TENSORSCOPE_API ?? 'http://127.0.0.1:6006' } },
});
