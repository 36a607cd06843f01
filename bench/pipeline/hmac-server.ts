// The HTTP + HMAC ceiling: a bare node:http endpoint that reads the body, checks Paidflow's
// signature (HMAC-SHA256 of `${t}.${body}`, compared in constant time, timestamp within 300 s:
// the scheme of apps/server/src/webhooks/signature.ts) and answers 200, doing nothing else.
// Run as a child process (like the real server): prints {"port":N} on its first stdout line.
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';

const secret = process.env.WEBHOOK_SECRET ?? '';
const TOLERANCE_SECONDS = 300;

function verified(header: string | undefined, body: Buffer): boolean {
  if (!header) return false;
  let t: string | null = null;
  const candidates: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(value)) t = value;
    else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value)) candidates.push(Buffer.from(value, 'hex'));
  }
  if (t === null) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  const matched = candidates.some((candidate) => timingSafeEqual(candidate, expected));
  return matched && Math.abs(Date.now() / 1000 - Number(t)) <= TOLERANCE_SECONDS;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const header = req.headers['paidflow-signature'];
    const ok = verified(Array.isArray(header) ? header.join(',') : header, Buffer.concat(chunks));
    if (ok) send(res, 200, { success: true });
    else send(res, 401, { success: false, message: 'signature does not match' });
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' ? address?.port : 0 })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
