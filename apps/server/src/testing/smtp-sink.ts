import { createServer, type Server, type Socket } from 'node:net';

/** A message as a tiny SMTP server received it. */
export interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

export interface SmtpSink {
  port: number;
  url: string;
  messages: ReceivedMail[];
  /** Answer RCPT TO with 550 (the server refuses the recipient). */
  refuseRecipients: boolean;
  close(): Promise<void>;
}

/**
 * A real, minimal SMTP server for tests (220, EHLO/HELO 250, MAIL/RCPT 250, DATA 354, '.' 250,
 * QUIT 221): what the notifier talks to instead of a mail provider.
 */
export async function startSmtpSink(port = 0): Promise<SmtpSink> {
  const sockets = new Set<Socket>();
  const sink: SmtpSink = {
    port: 0,
    url: '',
    messages: [],
    refuseRecipients: false,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffer = '';
    let inData = false;
    let current: ReceivedMail = { from: '', to: [], data: '' };
    const reply = (line: string) => socket.write(`${line}\r\n`);
    reply('220 sink ESMTP ready');
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      for (let end = buffer.indexOf('\r\n'); end >= 0; end = buffer.indexOf('\r\n')) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            sink.messages.push(current);
            current = { from: '', to: [], data: '' };
            reply('250 OK: queued');
          } else {
            current.data += `${line.startsWith('..') ? line.slice(1) : line}\n`;
          }
          continue;
        }
        const command = line.slice(0, 4).toUpperCase();
        if (command === 'EHLO' || command === 'HELO') reply('250 sink');
        else if (command === 'MAIL') {
          current.from = line.slice(line.indexOf(':') + 1).trim();
          reply('250 OK');
        } else if (command === 'RCPT') {
          if (sink.refuseRecipients) reply('550 mailbox unavailable');
          else {
            current.to.push(line.slice(line.indexOf(':') + 1).trim());
            reply('250 OK');
          }
        } else if (command === 'DATA') {
          inData = true;
          reply('354 end data with <CR><LF>.<CR><LF>');
        } else if (command === 'RSET') {
          current = { from: '', to: [], data: '' };
          reply('250 OK');
        } else if (command === 'QUIT') {
          reply('221 bye');
          socket.end();
        } else if (command === 'NOOP') reply('250 OK');
        else reply('502 command not implemented');
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  sink.port = (server.address() as { port: number }).port;
  sink.url = `smtp://127.0.0.1:${sink.port}`;
  return sink;
}
