import type { IncomingHttpHeaders } from 'node:http';

/** The session cookie's name. The token lives only here: never in a URL or a response body. */
export const SESSION_COOKIE = 'paidflow_session';

/** Reads one cookie from a Cookie header; null when absent or malformed. */
export function readCookie(headers: IncomingHttpHeaders, name: string): string | null {
  const header = headers.cookie;
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    const value = part.slice(eq + 1).trim();
    try {
      return decodeURIComponent(value);
    } catch {
      return null;
    }
  }
  return null;
}

export interface CookieOptions {
  /** Secure is set in production (HTTPS); browsers refuse Secure cookies over plain HTTP. */
  secure: boolean;
}

/** Set-Cookie for a new session: httpOnly, SameSite=Strict, Path=/, expiring with the session. */
export function sessionCookie(token: string, maxAgeSeconds: number, options: CookieOptions): string {
  const parts = [
    `${SESSION_COOKIE}=${encodeURIComponent(token)}`,
    'HttpOnly',
    'SameSite=Strict',
    'Path=/',
    `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`,
  ];
  if (options.secure) parts.push('Secure');
  return parts.join('; ');
}

/** Set-Cookie that removes the session cookie (logout). */
export function clearedSessionCookie(options: CookieOptions): string {
  return sessionCookie('', 0, options);
}
