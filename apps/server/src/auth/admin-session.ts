/** A signed-in admin's session, as the server reads it from the session cookie. */
export interface AdminSession {
  userId: number;
  email: string;
  role: 'viewer' | 'operator';
  tokenHash: string;
  expiresAt: Date;
}
