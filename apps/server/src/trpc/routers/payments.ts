import { router } from '../init.ts';

/** The payments inbox (issue 11, part 2): filled in by that work. */
export const paymentsRouter = router({});
