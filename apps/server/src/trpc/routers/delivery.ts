import { router } from '../init.ts';

/** The operator's control of delivery links (issue 11, part 1): filled in by that work. */
export const deliveryRouter = router({});
