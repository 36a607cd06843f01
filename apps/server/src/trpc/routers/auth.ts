import { AdminMe, LoginInput } from '@paidflow/contracts';
import type { AdminSession } from '../../auth/admin-session.ts';
import { clearedSessionCookie, sessionCookie } from '../../auth/cookies.ts';
import { login } from '../../auth/login.ts';
import { endSession } from '../../auth/session.ts';
import { AppError } from '../../errors.ts';
import type { Context } from '../context.ts';
import { publicProcedure, router, viewerProcedure } from '../init.ts';

function toMe(session: AdminSession): AdminMe {
  return {
    id: session.userId,
    email: session.email,
    role: session.role,
    expiresAt: session.expiresAt.getTime(),
  };
}

function cookieOptions(ctx: Context) {
  return { secure: ctx.env.NODE_ENV === 'production' };
}

/** Sign-in, sign-out and who is signed in. The session token travels only in its cookie. */
export const authRouter = router({
  login: publicProcedure
    .input(LoginInput)
    .output(AdminMe)
    .mutation(async ({ ctx, input }) => {
      const { setCookie } = ctx;
      // Over WebSocket there is no response to carry the cookie: sign in over HTTP.
      if (!setCookie) throw new AppError('INVALID_INPUT', 'sign in over HTTP, not over WebSocket');
      const { token, session } = await login(ctx, { ...input, ip: ctx.clientIp ?? null });
      const maxAge = (session.expiresAt.getTime() - Date.now()) / 1000;
      setCookie(sessionCookie(token, maxAge, cookieOptions(ctx)));
      return toMe(session);
    }),
  logout: viewerProcedure.output(AdminMe.pick({ id: true })).mutation(async ({ ctx }) => {
    await endSession(ctx, ctx.admin.tokenHash);
    ctx.setCookie?.(clearedSessionCookie(cookieOptions(ctx)));
    ctx.logger.info({ adminId: ctx.admin.userId }, 'admin signed out');
    return { id: ctx.admin.userId };
  }),
  /** The signed-in admin, or null: the web app's sign-in check. */
  me: publicProcedure.output(AdminMe.nullable()).query(({ ctx }) => {
    return ctx.principal?.kind === 'admin' ? toMe(ctx.principal.session) : null;
  }),
});
