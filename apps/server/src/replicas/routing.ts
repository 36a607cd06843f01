import type { Db } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { toAppError } from '../errors.ts';
import type { Principal } from '../trpc/context.ts';
import { inPrimaryWindow } from './primary-window.ts';

type RoutingDeps = Pick<AppDeps, 'db' | 'env' | 'redis' | 'namespace' | 'logger' | 'reads'>;

/**
 * The handle a dashboard read uses (decision 056): the read router's (a healthy replica, else the
 * primary), unless the admin's session wrote within its primary window, then the primary.
 */
export async function readDbFor(deps: RoutingDeps, principal: Principal | null): Promise<Db> {
  if (!deps.reads.replicated) return deps.db;
  if (principal?.kind === 'admin' && (await inPrimaryWindow(deps, principal.session.tokenHash)))
    return deps.db;
  return deps.reads.db;
}

/**
 * Whether a read that failed on the read handle is asked again of the primary: the replica died
 * between two polls (UNAVAILABLE), lacks what the primary has (NOT_FOUND: a row newer than its
 * lag), or failed in a way a replica can and the primary may not (no AppError: a table the
 * replica has not got yet). Bad input, rate limits and the like fail the same on the primary.
 */
export function retryOnPrimary(error: { code: string; cause?: unknown }): boolean {
  // A TRPCError thrown on purpose (UNAUTHORIZED...) is not the database's doing.
  if (error.code !== 'INTERNAL_SERVER_ERROR') return false;
  const mapped = toAppError(error.cause);
  return !mapped || mapped.code === 'UNAVAILABLE' || mapped.code === 'NOT_FOUND';
}
