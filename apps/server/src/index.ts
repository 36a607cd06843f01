// The server's types-only surface: the worker and the web app `import type` from here.
export type { AppRouter } from './trpc/routers/_app.ts';
