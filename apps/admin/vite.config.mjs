// Builds the admin audit-log viewer into dist/admin, served by the API at /admin.
// Every asset is local (no CDN, no web fonts): the device may have no internet.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  base: '/admin/',
  publicDir: false,
  // The viewer shares the domain's plain data (the event catalogue) instead of a copy that drifts.
  resolve: { alias: { '@ledger/domain': path.resolve(here, '../../libs/domain/src/index.ts') } },
  build: {
    outDir: path.resolve(here, '../../dist/admin'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    modulePreload: { polyfill: false },
    // The domain is pure (its lint holds it to no I/O), so what the viewer does not use of it is dropped.
    rollupOptions: { treeshake: { moduleSideEffects: (id) => !id.includes('/libs/domain/src/') } },
  },
  // `npx vite --config apps/admin/vite.config.mjs` during development: the API
  // runs separately; ADMIN_API names it (default: the server's default port).
  server: { proxy: { '/api': process.env.ADMIN_API ?? 'http://127.0.0.1:8080' } },
});
