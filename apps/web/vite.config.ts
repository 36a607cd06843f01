import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The API runs on its own port in development; in production the server serves dist/ on the same
// origin, so the app only ever talks to relative /trpc URLs.
const API = process.env.PAIDFLOW_API_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  // Root-relative asset URLs (/assets/...): a reload on a deep link such as /orders/12 must still
  // find them, which './' would not (it would ask for /orders/assets/...).
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    rollupOptions: {
      // zod's sources carry /* @__PURE__ */ comments where Rollup cannot use them: harmless noise.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/zod/')) return;
        warn(warning);
      },
    },
  },
  server: {
    port: 5173,
    proxy: {
      '/trpc': { target: API, ws: true, changeOrigin: false },
      '/healthz': { target: API },
      '/readyz': { target: API },
    },
  },
  preview: { port: 4173, proxy: { '/trpc': { target: API, ws: true } } },
});
