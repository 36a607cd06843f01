import type { AppDeps } from '../deps.ts';
import type { Route } from '../http.ts';

/** The customer's download page and files, GET /d/<token> (issue 11, part 1): filled in by that work. */
export function deliveryRoutes(_deps: AppDeps): Route[] {
  return [];
}
