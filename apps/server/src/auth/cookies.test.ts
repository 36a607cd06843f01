import { expect, test } from 'vitest';
import { clearedSessionCookie, readCookie, SESSION_COOKIE, sessionCookie } from './cookies.ts';

test('the session cookie is httpOnly, SameSite=Strict, on Path=/, and Secure only when asked', () => {
  const dev = sessionCookie('tok', 3600, { secure: false });
  expect(dev).toBe(`${SESSION_COOKIE}=tok; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600`);
  expect(sessionCookie('tok', 3600, { secure: true })).toMatch(/; Secure$/);
  expect(clearedSessionCookie({ secure: false })).toContain('Max-Age=0');
});

test('readCookie finds its cookie among others and ignores malformed parts', () => {
  const headers = { cookie: `theme=dark; junk; ${SESSION_COOKIE}=abc%2Fdef; other=1` };
  expect(readCookie(headers, SESSION_COOKIE)).toBe('abc/def');
  expect(readCookie({}, SESSION_COOKIE)).toBeNull();
  expect(readCookie({ cookie: `${SESSION_COOKIE}=%E0%A4%A` }, SESSION_COOKIE)).toBeNull();
  expect(readCookie({ cookie: `x${SESSION_COOKIE}=nope` }, SESSION_COOKIE)).toBeNull();
});
