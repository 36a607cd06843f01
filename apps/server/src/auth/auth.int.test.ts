import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { adminSessions, findAdminByEmail } from '@paidflow/db';
import { TRPCError } from '@trpc/server';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { callerFor, createTestAdmin } from '../testing/live-fixtures.ts';
import { startTestServer, type TestServer } from '../testing/pipeline-fixtures.ts';
import { createAdmin, ensureDemoAdmins } from './admins.ts';
import { SESSION_COOKIE } from './cookies.ts';
import { hashToken, resolveSession } from './session.ts';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('auth');
});
afterAll(async () => {
  await t?.close();
});

function uniqueEmail(label: string): string {
  return `${label}-${randomUUID().slice(0, 8)}@example.com`;
}

async function expectCode(promise: Promise<unknown>, code: TRPCError['code']): Promise<TRPCError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TRPCError);
  expect((error as TRPCError).code).toBe(code);
  return error as TRPCError;
}

test('login sets an httpOnly SameSite=Strict session cookie whose token resolves to the admin', async () => {
  const email = uniqueEmail('login');
  await createAdmin(t.server.deps.db, { email, password: 'a good password', role: 'operator' });
  const cookies: string[] = [];
  const caller = await callerFor(t.server.deps, null, {
    setCookie: (c) => cookies.push(c),
    clientIp: '10.0.0.1',
  });
  const me = await caller.auth.login({ email: email.toUpperCase(), password: 'a good password' });
  expect(me).toMatchObject({ email, role: 'operator' });
  expect(cookies).toHaveLength(1);
  expect(cookies[0]).toMatch(
    new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=/; Max-Age=\\d+$`),
  );
  const token = /=([^;]+);/.exec(cookies[0]!)![1]!;
  // Only the token's hash is stored.
  const [stored] = await t.server.deps.db
    .select()
    .from(adminSessions)
    .where(eq(adminSessions.token_hash, hashToken(token)));
  expect(stored?.user_id).toBe(me.id);
  const session = await resolveSession(t.server.deps, { cookie: `a=b; ${SESSION_COOKIE}=${token}` });
  expect(session).toMatchObject({ email, role: 'operator', userId: me.id });
  expect((await findAdminByEmail(t.server.deps.db, email))?.last_login_at).toBeInstanceOf(Date);
});

test('a wrong password and an unknown e-mail get the same UNAUTHORIZED answer', async () => {
  const email = uniqueEmail('wrong');
  await createAdmin(t.server.deps.db, { email, password: 'a good password', role: 'viewer' });
  const caller = await callerFor(t.server.deps, null, { setCookie: () => {}, clientIp: '10.0.0.2' });
  const wrong = await expectCode(caller.auth.login({ email, password: 'nope' }), 'UNAUTHORIZED');
  const unknown = await expectCode(
    caller.auth.login({ email: uniqueEmail('ghost'), password: 'nope' }),
    'UNAUTHORIZED',
  );
  expect(wrong.message).toBe(unknown.message);
});

test('login attempts are limited per e-mail: past the limit even the right password is refused', async () => {
  const email = uniqueEmail('limited');
  await createAdmin(t.server.deps.db, { email, password: 'a good password', role: 'viewer' });
  const caller = await callerFor(t.server.deps, null, {
    setCookie: () => {},
    clientIp: `10.1.${Math.floor(Math.random() * 250)}.1`,
  });
  for (let i = 0; i < t.server.deps.env.LOGIN_RATE_LIMIT_PER_EMAIL; i++) {
    await expectCode(caller.auth.login({ email, password: `guess ${i}` }), 'UNAUTHORIZED');
  }
  await expectCode(caller.auth.login({ email, password: 'a good password' }), 'TOO_MANY_REQUESTS');
  // Another e-mail from another address is not affected.
  const other = uniqueEmail('free');
  await createAdmin(t.server.deps.db, { email: other, password: 'a good password', role: 'viewer' });
  const elsewhere = await callerFor(t.server.deps, null, { setCookie: () => {}, clientIp: '10.2.0.1' });
  await expect(elsewhere.auth.login({ email: other, password: 'a good password' })).resolves.toMatchObject({
    email: other,
  });
});

test('login attempts are limited per client address across e-mails', async () => {
  const caller = await callerFor(t.server.deps, null, { setCookie: () => {}, clientIp: '10.3.0.1' });
  for (let i = 0; i < t.server.deps.env.LOGIN_RATE_LIMIT_PER_IP; i++) {
    await expectCode(caller.auth.login({ email: uniqueEmail(`ip${i}`), password: 'x' }), 'UNAUTHORIZED');
  }
  await expectCode(caller.auth.login({ email: uniqueEmail('ipmore'), password: 'x' }), 'TOO_MANY_REQUESTS');
});

test('me is null when signed out and the admin when signed in; logout ends the session', async () => {
  const signedOut = await callerFor(t.server.deps, null);
  expect(await signedOut.auth.me()).toBeNull();
  const admin = await createTestAdmin(t.server.deps, 'viewer');
  const cookies: string[] = [];
  const caller = await callerFor(t.server.deps, admin.principal, { setCookie: (c) => cookies.push(c) });
  expect(await caller.auth.me()).toMatchObject({ id: admin.id, email: admin.email, role: 'viewer' });
  await caller.auth.logout();
  expect(cookies[0]).toMatch(/Max-Age=0/);
  expect(await resolveSession(t.server.deps, { cookie: admin.cookie })).toBeNull();
});

test('an expired session, a garbage token and no cookie all resolve to no session', async () => {
  const admin = await createTestAdmin(t.server.deps, 'operator');
  await t.server.deps.db
    .update(adminSessions)
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where(eq(adminSessions.token_hash, hashToken(admin.token)));
  expect(await resolveSession(t.server.deps, { cookie: admin.cookie })).toBeNull();
  expect(await resolveSession(t.server.deps, { cookie: `${SESSION_COOKIE}=../../etc/passwd` })).toBeNull();
  expect(await resolveSession(t.server.deps, {})).toBeNull();
});

test('login over HTTP answers Set-Cookie, and the cookie then authenticates HTTP calls', async () => {
  const email = uniqueEmail('http');
  await createAdmin(t.server.deps.db, { email, password: 'a good password', role: 'viewer' });
  const response = await fetch(`${t.server.url}/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ json: { email, password: 'a good password' } }),
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get('set-cookie') ?? '';
  expect(setCookie).toMatch(/HttpOnly; SameSite=Strict; Path=\//);
  expect(setCookie).not.toMatch(/Secure/);
  const cookie = setCookie.split(';')[0]!;
  const me = await fetch(`${t.server.url}/trpc/auth.me`, { headers: { cookie } });
  const body = (await me.json()) as { result: { data: { json: { email: string } } } };
  expect(body.result.data.json.email).toBe(email);
  const anonymous = await fetch(`${t.server.url}/trpc/dashboard.stats`);
  expect(anonymous.status).toBe(401);
  const withCookie = await fetch(`${t.server.url}/trpc/dashboard.stats`, { headers: { cookie } });
  expect(withCookie.status).toBe(200);
});

test('ensureDemoAdmins creates the demo operator and viewer once, and they can sign in', async () => {
  const first = await ensureDemoAdmins(t.server.deps.db);
  expect(first.sort()).toEqual(['operator@paidflow.local', 'viewer@paidflow.local']);
  expect(await ensureDemoAdmins(t.server.deps.db)).toEqual([]);
  const caller = await callerFor(t.server.deps, null, { setCookie: () => {}, clientIp: '10.4.0.1' });
  await expect(
    caller.auth.login({ email: 'operator@paidflow.local', password: 'operator-demo' }),
  ).resolves.toMatchObject({ role: 'operator' });
  await expect(
    caller.auth.login({ email: 'viewer@paidflow.local', password: 'viewer-demo' }),
  ).resolves.toMatchObject({ role: 'viewer' });
});

const execFileAsync = promisify(execFile);
const SERVER_DIR = fileURLToPath(new URL('../..', import.meta.url));

test('the create-admin CLI reads the password from ADMIN_PASSWORD, never from argv', async () => {
  const email = uniqueEmail('cli');
  const env = { ...process.env, DATABASE_URL: t.tdb.url, ADMIN_PASSWORD: 'cli password 123' };
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/create-admin.ts', '--email', email, '--role', 'operator'],
    { cwd: SERVER_DIR, env },
  );
  expect(stdout).toContain(`admin ${email} (operator) saved`);
  const caller = await callerFor(t.server.deps, null, { setCookie: () => {}, clientIp: '10.5.0.1' });
  await expect(caller.auth.login({ email, password: 'cli password 123' })).resolves.toMatchObject({
    role: 'operator',
  });
  const refused = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', 'src/cli/create-admin.ts', '--email', email, '--password', 'x'],
    { cwd: SERVER_DIR, env },
  ).then(
    () => null,
    (error: { code?: number }) => error,
  );
  expect(refused?.code).toBe(1);
  // Without ADMIN_PASSWORD the first line of stdin is the password.
  const viaStdin = uniqueEmail('stdin');
  const child = execFile(
    process.execPath,
    ['--import', 'tsx', 'src/cli/create-admin.ts', '--email', viaStdin],
    { cwd: SERVER_DIR, env: { ...env, ADMIN_PASSWORD: undefined } },
  );
  child.stdin?.end('from stdin 12345\n');
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect(code).toBe(0);
  await expect(caller.auth.login({ email: viaStdin, password: 'from stdin 12345' })).resolves.toMatchObject({
    role: 'viewer',
  });
}, 120_000);
