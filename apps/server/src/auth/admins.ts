import type { AdminRole } from '@paidflow/contracts';
import { type Db, insertAdminIfMissing, upsertAdmin } from '@paidflow/db';
import { hashPassword } from './password.ts';

/** The demo accounts `npm start` seeds: one operator and one viewer. */
export const DEMO_ADMINS = [
  { email: 'operator@paidflow.local', password: 'operator-demo', role: 'operator' },
  { email: 'viewer@paidflow.local', password: 'viewer-demo', role: 'viewer' },
] as const satisfies ReadonlyArray<{ email: string; password: string; role: AdminRole }>;

/** The shortest password createAdmin accepts. */
export const MIN_PASSWORD_LENGTH = 10;

/** Creates an admin, or resets the password and role of the one with that e-mail. */
export async function createAdmin(
  db: Db,
  admin: { email: string; password: string; role: AdminRole },
): Promise<number> {
  if (admin.password.length < MIN_PASSWORD_LENGTH) {
    throw new Error(`the password needs at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  const passwordHash = await hashPassword(admin.password);
  return upsertAdmin(db, { email: admin.email, passwordHash, role: admin.role });
}

/**
 * Creates the demo operator and viewer when they are missing; leaves existing accounts (and
 * passwords someone changed) alone, so running it twice is harmless. Returns the e-mails created.
 */
export async function ensureDemoAdmins(db: Db): Promise<string[]> {
  const created: string[] = [];
  for (const demo of DEMO_ADMINS) {
    const passwordHash = await hashPassword(demo.password);
    if (await insertAdminIfMissing(db, { email: demo.email, passwordHash, role: demo.role })) {
      created.push(demo.email);
    }
  }
  return created;
}
