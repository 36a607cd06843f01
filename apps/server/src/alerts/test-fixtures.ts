import http from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../testing/net.ts';
import { decodeMail } from '../testing/pipeline-fixtures.ts';
import type { SmtpSink } from '../testing/smtp-sink.ts';

// Test helpers of the alert tests (not shipped code paths): a webhook receiver for
// ALERT_WEBHOOK_URL and a TCP proxy that a test closes to make MySQL or Redis unreachable.

export interface WebhookReceiver {
  url: string;
  /** Every JSON body received, in order (also those answered with an error). */
  bodies: Array<{ text: string; alert: { event: string; kind: string; subject: string } }>;
  /** The status the next requests are answered with (200 unless a test says otherwise). */
  status: number;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const receiver: WebhookReceiver = {
    url: '',
    bodies: [],
    status: 200,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receiver.bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      response.writeHead(receiver.status, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return receiver;
}

/** The webhook bodies of one alert kind, as `event` names ('raised', 'reminder', 'resolved'). */
export function hookEvents(receiver: WebhookReceiver, kind: string): string[] {
  return receiver.bodies.filter((body) => body.alert.kind === kind).map((body) => body.alert.event);
}

/** The subjects of the alert e-mails the sink received (the payments inbox's own mails aside). */
export function alertSubjects(sink: SmtpSink): string[] {
  return sink.messages
    .map((mail) => {
      // Long header lines are folded: unfold them before reading the subject.
      const headers = decodeMail(mail.data).headers.replace(/\r?\n[ \t]+/g, ' ');
      return /^Subject: (.*)$/m.exec(headers)?.[1] ?? '';
    })
    .filter((subject) => /\[Paidflow\] (CRITICAL|ERROR|WARNING|INFO|Still firing|Resolved)/.test(subject));
}

/** The decoded text of the sink's last alert e-mail about `kind`. */
export function lastAlertText(sink: SmtpSink, kind: string): string {
  const texts = sink.messages
    .map((mail) => decodeMail(mail.data).text ?? '')
    .filter((text) => text.includes(`Kind: ${kind} `));
  return texts.at(-1) ?? '';
}

export interface TcpProxy {
  port: number;
  /** Stops listening and cuts every connection: the target is unreachable through the proxy. */
  cut(): Promise<void>;
  /** Listens again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy to `target` on 127.0.0.1: what a test closes to make MySQL or Redis unreachable. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  async function listen(): Promise<void> {
    const next = createServer((client) => {
      const upstream = connect(target.port, target.host);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => next.listen(port, '127.0.0.1', resolve));
    server = next;
  }
  async function cut(): Promise<void> {
    const current = server;
    server = null;
    for (const socket of sockets) socket.destroy();
    if (current) await new Promise((resolve) => current.close(resolve));
  }
  await listen();
  return { port, cut, restore: listen, close: cut };
}
