import type { AppDeps } from '../deps.ts';
import { primaryWindowMs } from './env.ts';

type WindowDeps = Pick<AppDeps, 'env' | 'redis' | 'namespace' | 'logger' | 'reads'>;

/** The session's mark: one key per session (one slot in a Redis Cluster), by its token's hash. */
export function primaryWindowKey(deps: Pick<AppDeps, 'namespace'>, tokenHash: string): string {
  return deps.namespace.key(`primary-window:${tokenHash}`);
}

/**
 * Read-your-writes (decision 056): after a mutation of an admin session, the session's reads go
 * to the primary for primaryWindowMs, on every server (the mark is in Redis, so a reload the
 * load balancer sends elsewhere sees it). A failed SET is logged: the write has happened, and
 * the session's next read asks Redis too (and takes the primary when Redis does not answer).
 */
export async function markPrimaryWindow(deps: WindowDeps, tokenHash: string): Promise<void> {
  if (!deps.reads.replicated) return;
  try {
    await deps.redis.set(primaryWindowKey(deps, tokenHash), '1', 'PX', primaryWindowMs(deps.env));
  } catch (error) {
    deps.logger.warn({ err: error }, 'replicas: could not mark the session for primary reads');
  }
}

/** Whether the session wrote within its window. Redis unreachable: true (the primary is never stale). */
export async function inPrimaryWindow(deps: WindowDeps, tokenHash: string): Promise<boolean> {
  try {
    return (await deps.redis.get(primaryWindowKey(deps, tokenHash))) !== null;
  } catch {
    return true;
  }
}
