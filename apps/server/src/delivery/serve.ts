import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DeliveredFile } from '@paidflow/contracts';
import { contentDisposition, etagOf, type OpenedFile, safeContentType } from './files.ts';
import { parseRange } from './range.ts';
import { zipChunks, zipLayout } from './zip.ts';

/** What one response sent of a file: whether it started the file, and how many bytes went out. */
export interface SentReport {
  started: boolean;
  bytes: number;
}

/** Streams `source` to the response, counting the bytes; resolves when the response has ended or broken. */
async function stream(source: Readable, res: ServerResponse): Promise<number> {
  let bytes = 0;
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
  });
  // A client that goes away mid-file is no error of ours: what was sent is what counts.
  await pipeline(source, res).catch(() => {});
  return bytes;
}

/** `If-Range` allows the range only when it names the file as it is now (its ETag or date). */
function rangeAllowed(req: IncomingMessage, etag: string, lastModified: string): boolean {
  const ifRange = req.headers['if-range'];
  return !ifRange || ifRange === etag || ifRange === lastModified;
}

/**
 * One delivered file: its manifest media type, as an attachment with its name, with validators
 * and byte ranges (one range: 206 with Content-Range; past the end: 416), HEAD without a body.
 * Returns what was sent (null for HEAD and 416), for the download counts.
 */
export async function sendFile(
  req: IncomingMessage,
  res: ServerResponse,
  opened: OpenedFile,
  file: DeliveredFile,
): Promise<SentReport | null> {
  const { handle, info } = opened;
  try {
    const size = info.size;
    const etag = etagOf(info);
    const lastModified = info.mtime.toUTCString();
    const range = rangeAllowed(req, etag, lastModified) ? parseRange(req.headers.range, size) : null;
    const headers: Record<string, string | number> = {
      'content-type': safeContentType(file.contentType),
      'content-disposition': contentDisposition(path.posix.basename(file.path)),
      'accept-ranges': 'bytes',
      etag,
      'last-modified': lastModified,
      'cache-control': 'private, no-cache',
    };
    if (range === 'unsatisfiable') {
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': 0 });
      res.end();
      return null;
    }
    const start = range?.start ?? 0;
    const end = range?.end ?? size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(range ? 206 : 200, { ...headers, 'content-length': length });
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return req.method === 'HEAD' ? null : { started: true, bytes: 0 };
    }
    const source = handle.createReadStream({ start, end, autoClose: false });
    const bytes = await stream(source, res);
    return { started: start === 0, bytes };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** A task's files for its "download all" archive, each checked when it is opened. */
export interface ArchiveFile {
  file: DeliveredFile;
  mtime: Date;
}

/**
 * A course's "download all": a store-only ZIP of its files under one folder, streamed as it is
 * read, with its exact length. `open` gives each file (null: it is gone, and the response is cut,
 * since its length was promised). `onEntry` is told of each file sent whole.
 */
export async function sendZip(
  req: IncomingMessage,
  res: ServerResponse,
  input: {
    folder: string;
    files: ArchiveFile[];
    open: (file: DeliveredFile) => Promise<OpenedFile | null>;
    onEntry: (file: DeliveredFile) => void;
  },
): Promise<void> {
  const layout = zipLayout(
    input.files.map((item) => ({
      name: `${input.folder}/${item.file.path}`,
      size: item.file.size,
      mtime: item.mtime,
    })),
  );
  res.writeHead(200, {
    'content-type': 'application/zip',
    'content-disposition': contentDisposition(`${input.folder}.zip`),
    'content-length': layout.size,
    'cache-control': 'private, no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  async function* entry(index: number): AsyncGenerator<Buffer> {
    const item = input.files[index]!;
    const opened = await input.open(item.file);
    if (!opened) throw new Error(`${item.file.path} is no longer available`);
    try {
      for await (const chunk of opened.handle.createReadStream({ autoClose: false })) yield chunk as Buffer;
    } finally {
      await opened.handle.close().catch(() => {});
    }
    input.onEntry(item.file);
  }
  const source = Readable.from(zipChunks(layout, entry));
  await pipeline(source, res);
}
