import { createHash, randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type AdminSessionRow, deleteSession, findActiveSession, insertSession } from '@paidflow/db';
import { TRPCError } from '@trpc/server';
import type { AppDeps } from '../deps.ts';
import { publishSessionRevoked } from '../realtime/publisher.ts';
import type { AdminSession } from './admin-session.ts';
import { readCookie, SESSION_COOKIE } from './cookies.ts';

/** How long a session lasts from sign-in. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;

/** The token is 32 random bytes; only its SHA-256 is stored. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A token looks like what createSession makes: 43 base64url characters. */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

function toSession(row: AdminSessionRow): AdminSession {
  return {
    userId: row.userId,
    email: row.email,
    role: row.role,
    tokenHash: row.tokenHash,
    expiresAt: row.expiresAt,
  };
}

/** Starts a session for an admin; returns the token for the cookie and the session. */
export async function createSession(
  deps: Pick<AppDeps, 'db'>,
  admin: { id: number; email: string; role: AdminSession['role'] },
  now = new Date(),
): Promise<{ token: string; session: AdminSession }> {
  const token = randomBytes(32).toString('base64url');
  const tokenHash = hashToken(token);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await deps.db.transaction(async (tx) => insertSession(tx, { tokenHash, userId: admin.id, expiresAt }));
  return { token, session: { userId: admin.id, email: admin.email, role: admin.role, tokenHash, expiresAt } };
}

/** The admin session a token stands for; null when unknown or expired. */
export async function sessionForToken(
  deps: Pick<AppDeps, 'db'>,
  token: string,
): Promise<AdminSession | null> {
  if (!TOKEN_RE.test(token)) return null;
  const row = await findActiveSession(deps.db, hashToken(token));
  return row ? toSession(row) : null;
}

/**
 * The session resolver of contextFactory: reads the session cookie from the headers of an HTTP
 * request or of a WebSocket upgrade request. When MySQL cannot be read the request fails with
 * SERVICE_UNAVAILABLE (logged), rather than passing for signed out and sending the admin to the
 * sign-in page.
 */
export async function resolveSession(
  deps: Pick<AppDeps, 'db' | 'logger'>,
  headers: IncomingHttpHeaders,
): Promise<AdminSession | null> {
  const token = readCookie(headers, SESSION_COOKIE);
  if (!token) return null;
  try {
    return await sessionForToken(deps, token);
  } catch (error) {
    deps.logger.warn({ err: error }, 'session lookup failed');
    throw new TRPCError({
      code: 'SERVICE_UNAVAILABLE',
      message: 'sessions cannot be read right now',
      cause: error,
    });
  }
}

/**
 * Ends a session (logout): deleted from MySQL, so neither HTTP nor a new WebSocket accepts it,
 * then the WebSockets already open with it are closed, in this process at once and in the others
 * through Redis.
 */
export async function endSession(
  deps: Pick<AppDeps, 'db' | 'redis' | 'logger' | 'namespace' | 'sessionSockets'>,
  tokenHash: string,
): Promise<void> {
  await deleteSession(deps.db, tokenHash);
  deps.sessionSockets.closeSession(tokenHash);
  await publishSessionRevoked(deps, tokenHash);
}
