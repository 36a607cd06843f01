// @paidflow/server/testing: what other packages' tests and the benchmarks may use of the server.
// It starts the real server and drives it as its users do; nothing here is a shipped code path.
export { type RunningServer, startServer } from '../app.ts';
export { ensureDemoAdmins } from '../auth/admins.ts';
export { SESSION_COOKIE } from '../auth/cookies.ts';
export { hashToken } from '../auth/session.ts';
export { type ServerEnv, testEnv } from '../env.ts';
export { archiveAuditOnce } from '../services/audit-archiver.ts';
export { cancelTask } from '../services/operator-actions.ts';
export { signedWebhookRequest } from '../webhooks/signature.ts';
export { type Collected, collect, cookieWebSocket, type LiveClient, liveClient } from './live-client.ts';
export { createTestAdmin, type TestAdmin } from './live-fixtures.ts';
export { freePort } from './net.ts';
export {
  createOrder,
  decodeMail,
  nextOrderCode,
  postWebhook,
  sepayTransaction,
  startTestServer,
  type TestServer,
  type TestServerOptions,
  waitFor,
} from './pipeline-fixtures.ts';
export { type PrivateRedis, startPrivateRedis } from './private-redis.ts';
export { deleteRedisPrefix } from './redis-prefix.ts';
export { type SmtpSink, startSmtpSink } from './smtp-sink.ts';
