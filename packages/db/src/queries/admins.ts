import { and, eq, gt, lte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.ts';
import { preparedPerPool } from '../prepared.ts';
import { type AdminUserRow, adminSessions, adminUsers } from '../schema.ts';

export type AdminRoleName = AdminUserRow['role'];

/** An admin session joined with its user: what the session resolver needs. */
export interface AdminSessionRow {
  tokenHash: string;
  userId: number;
  email: string;
  role: AdminRoleName;
  expiresAt: Date;
}

/** Finds an admin by e-mail (stored lower-case). */
export async function findAdminByEmail(db: DbOrTx, email: string): Promise<AdminUserRow | null> {
  const [row] = await db.select().from(adminUsers).where(eq(adminUsers.email, email.toLowerCase())).limit(1);
  return row ?? null;
}

/**
 * Creates an admin, or updates the password hash and role of the one with that e-mail.
 * Returns the admin's id.
 */
export async function upsertAdmin(
  db: DbOrTx,
  admin: { email: string; passwordHash: string; role: AdminRoleName },
): Promise<number> {
  const email = admin.email.toLowerCase();
  await db
    .insert(adminUsers)
    .values({ email, password_hash: admin.passwordHash, role: admin.role })
    .onDuplicateKeyUpdate({ set: { password_hash: admin.passwordHash, role: admin.role } });
  const row = await findAdminByEmail(db, email);
  if (!row) throw new Error(`admin ${email} vanished after upsert`);
  return row.id;
}

/** Creates an admin only when none has that e-mail; true when it was created. */
export async function insertAdminIfMissing(
  db: DbOrTx,
  admin: { email: string; passwordHash: string; role: AdminRoleName },
): Promise<boolean> {
  const [result] = await db
    .insert(adminUsers)
    .values({ email: admin.email.toLowerCase(), password_hash: admin.passwordHash, role: admin.role })
    .onDuplicateKeyUpdate({ set: { id: sql`\`id\`` } });
  // With ON DUPLICATE KEY UPDATE id=id, MySQL counts 1 for an insert and 0 for an existing row.
  return result.affectedRows === 1;
}

/** Stores a new session by the SHA-256 of its token (never the token). */
export async function insertSession(
  db: DbOrTx,
  session: { tokenHash: string; userId: number; expiresAt: Date },
): Promise<void> {
  await db
    .insert(adminSessions)
    .values({ token_hash: session.tokenHash, user_id: session.userId, expires_at: session.expiresAt });
}

const activeSession = preparedPerPool((db) =>
  db
    .select({
      tokenHash: adminSessions.token_hash,
      userId: adminUsers.id,
      email: adminUsers.email,
      role: adminUsers.role,
      expiresAt: adminSessions.expires_at,
    })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.user_id))
    .where(
      and(
        eq(adminSessions.token_hash, sql.placeholder('tokenHash')),
        gt(adminSessions.expires_at, sql.placeholder('now')),
      ),
    )
    .limit(1)
    .prepare(),
);

/** The unexpired session with that token hash, with its admin; null otherwise (prepared: every request asks). */
export async function findActiveSession(
  db: DbOrTx,
  tokenHash: string,
  now: Date = new Date(),
): Promise<AdminSessionRow | null> {
  // A placeholder's value skips the column's encoding: encoded here as a bound Date would be.
  const [row] = await activeSession(db).execute({
    tokenHash,
    now: adminSessions.expires_at.mapToDriverValue(now),
  });
  return row ?? null;
}

/** Ends a session (logout). */
export async function deleteSession(db: DbOrTx, tokenHash: string): Promise<void> {
  await db.delete(adminSessions).where(eq(adminSessions.token_hash, tokenHash));
}

/** Removes expired sessions; returns how many. */
export async function deleteExpiredSessions(db: DbOrTx, now: Date = new Date()): Promise<number> {
  const [result] = await db.delete(adminSessions).where(lte(adminSessions.expires_at, now));
  return result.affectedRows;
}

/** Records a successful sign-in. */
export async function markAdminLogin(db: DbOrTx, userId: number, at: Date = new Date()): Promise<void> {
  await db.update(adminUsers).set({ last_login_at: at }).where(eq(adminUsers.id, userId));
}
