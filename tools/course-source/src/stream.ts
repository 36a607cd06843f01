import type { ServerResponse } from 'node:http';
import { fileBytes } from './content.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits until the response can take more bytes, or the client is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes a generated file to a response, throttled to `bps` bytes per second (0: as fast as the
 * client reads), optionally cut mid-body (the connection destroyed) or with a corrupted first byte.
 */
export async function streamFile(
  res: ServerResponse,
  input: { block: Buffer; size: number; bps: number; cutAt?: number; corrupt: boolean },
): Promise<void> {
  const { block, size, bps } = input;
  const chunkSize = bps > 0 ? Math.max(1024, Math.min(64 * 1024, Math.floor(bps / 20))) : 64 * 1024;
  const started = Date.now();
  let sent = 0;
  while (sent < size) {
    if (res.destroyed) return;
    if (input.cutAt !== undefined && sent >= input.cutAt) {
      res.destroy();
      return;
    }
    const limit = input.cutAt !== undefined ? input.cutAt - sent : size - sent;
    let chunk = fileBytes(block, sent, Math.min(chunkSize, size - sent, limit));
    if (input.corrupt && sent === 0) {
      chunk = Buffer.from(chunk);
      chunk[0] = (chunk[0] ?? 0) ^ 0xff;
    }
    const more = res.write(chunk);
    sent += chunk.length;
    if (!more) await drained(res);
    if (bps > 0) {
      const wait = started + (sent / bps) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    }
  }
  res.end();
}
