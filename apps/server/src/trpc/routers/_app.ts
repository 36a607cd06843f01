import { router } from '../init.ts';

/** The whole API: one router per domain, merged here. */
export const appRouter = router({});

export type AppRouter = typeof appRouter;
