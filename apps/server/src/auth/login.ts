import { findAdminByEmail, markAdminLogin } from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { AppError } from '../errors.ts';
import type { AdminSession } from './admin-session.ts';
import { burnVerification, verifyPassword } from './password.ts';
import { clearLoginAttempts, takeLoginAttempt } from './rate-limit.ts';
import { createSession } from './session.ts';

export interface LoginOptions {
  email: string;
  password: string;
  /** The client's address, for the per-address limit. */
  ip: string | null;
}

/**
 * Checks an admin's credentials (rate-limited) and starts a session. Unknown e-mail and wrong
 * password get the same answer, in about the same time.
 */
export async function login(
  deps: Pick<AppDeps, 'db' | 'limits' | 'logger'>,
  options: LoginOptions,
): Promise<{ token: string; session: AdminSession }> {
  const email = options.email.trim().toLowerCase();
  await takeLoginAttempt(deps, { email, ip: options.ip });
  const admin = await findAdminByEmail(deps.db, email);
  const ok = admin
    ? await verifyPassword(admin.password_hash, options.password)
    : await burnVerification(options.password).then(() => false);
  if (!admin || !ok) {
    deps.logger.info({ email, ip: options.ip }, 'sign-in refused');
    throw new AppError('UNAUTHORIZED', 'wrong e-mail or password');
  }
  await clearLoginAttempts(deps, email);
  const result = await createSession(deps, { id: admin.id, email: admin.email, role: admin.role });
  await markAdminLogin(deps.db, admin.id);
  deps.logger.info({ adminId: admin.id, role: admin.role }, 'admin signed in');
  return result;
}
