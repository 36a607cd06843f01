import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CourseManifest } from '@paidflow/contracts';
import { fileBlock, fileSha256, stableNumber } from './content.ts';
import { streamFile } from './stream.ts';

/**
 * The demo's and the tests' "course source": generated files of known sizes over HTTP, with
 * optional throttling so that progress is visible. Any slug is a course. Slug prefixes pick a
 * failure mode:
 * - `missing-*`: 404 for the manifest and the files
 * - `forbidden-*`: 403; `unauthorized-*`: 401
 * - `flaky-*`: the first N requests of each file fail, alternately 503 and a connection cut mid-body
 *   (`?flaky=503|cut` picks one), N = `?fail=` or the server's flakyFailures
 * - `corrupt-*`: the first N requests of each file serve wrong bytes (sha256 mismatch)
 * - `reset-*`: the first N requests of the manifest and of each file get a TCP reset (ECONNRESET)
 * - `slow-*`: throttled to slowBytesPerSecond
 * Query parameters of the manifest URL (passed on to its file URLs): files (count), size (bytes
 * per file) or min/max, bps (bytes per second, 0 = unthrottled), fail, flaky, sha (0 = no sha256).
 */
export interface CourseSourceOptions {
  port?: number;
  host?: string;
  /** Throttle of ordinary courses; 0 or null = as fast as possible. */
  bytesPerSecond?: number | null;
  /** Throttle of `slow-*` courses. */
  slowBytesPerSecond?: number;
  /** Files per course. */
  files?: number;
  minFileSize?: number;
  maxFileSize?: number;
  /** How many requests of each file of a flaky (or corrupt) course fail. */
  flakyFailures?: number;
}

export interface CourseSource {
  url: string;
  port: number;
  /** The manifest URL of a course. */
  manifestUrl(slug: string, query?: Record<string, string | number>): string;
  /** How many times a file (or `manifest.json`) of a course was requested. */
  requestCount(slug: string, name: string): number;
  close(): Promise<void>;
}

interface CourseParams {
  files: number;
  min: number;
  max: number;
  bps: number;
  fail: number;
  flaky: 'alternate' | '503' | 'cut';
  sha: boolean;
}

const SLUG_RE = /^[a-z0-9][a-z0-9._-]{0,127}$/i;
const NAME_RE = /^lesson-(\d{2,5})\.bin$/;

function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const text = query.get(name);
  if (text === null || !/^\d+$/.test(text)) return fallback;
  return Math.min(Number(text), max);
}

function paramsOf(
  slug: string,
  query: URLSearchParams,
  options: Required<CourseSourceOptions>,
): CourseParams {
  const size = query.get('size');
  const min =
    size !== null
      ? intParam(query, 'size', 0, 2 ** 31)
      : intParam(query, 'min', options.minFileSize, 2 ** 31);
  const max = size !== null ? min : Math.max(min, intParam(query, 'max', options.maxFileSize, 2 ** 31));
  const defaultBps = slug.startsWith('slow-') ? options.slowBytesPerSecond : (options.bytesPerSecond ?? 0);
  const flaky = query.get('flaky');
  return {
    files: Math.max(1, intParam(query, 'files', options.files, 1000)),
    min,
    max,
    bps: intParam(query, 'bps', defaultBps, 2 ** 40),
    fail: intParam(query, 'fail', options.flakyFailures, 100),
    flaky: flaky === '503' || flaky === 'cut' ? flaky : 'alternate',
    sha: query.get('sha') !== '0',
  };
}

function fileName(index: number): string {
  return `lesson-${String(index + 1).padStart(2, '0')}.bin`;
}

function fileSize(slug: string, index: number, params: CourseParams): number {
  return stableNumber(`${slug}#${index}`, params.min, params.max);
}

function titleOf(slug: string): string {
  return slug
    .split(/[-_.]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join(' ');
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts a course source; `url` is its base, e.g. http://127.0.0.1:4100. */
export async function startCourseSource(options: CourseSourceOptions = {}): Promise<CourseSource> {
  const settings: Required<CourseSourceOptions> = {
    port: options.port ?? 0,
    host: options.host ?? '127.0.0.1',
    bytesPerSecond: options.bytesPerSecond ?? null,
    slowBytesPerSecond: options.slowBytesPerSecond ?? 256 * 1024,
    files: options.files ?? 3,
    minFileSize: options.minFileSize ?? 1024 * 1024,
    maxFileSize: options.maxFileSize ?? 12 * 1024 * 1024,
    flakyFailures: options.flakyFailures ?? 2,
  };
  const counts = new Map<string, number>();

  function count(slug: string, name: string): number {
    const key = `${slug}/${name}`;
    const next = (counts.get(key) ?? 0) + 1;
    counts.set(key, next);
    return next;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://course-source.local');
    const match = /^\/courses\/([^/]+)\/(manifest\.json|files\/([^/]+))$/.exec(url.pathname);
    if (req.method !== 'GET' || !match) return sendJson(res, 404, { error: 'not found' });
    const slug = decodeURIComponent(match[1]!);
    if (!SLUG_RE.test(slug)) return sendJson(res, 400, { error: 'bad course slug' });
    const name = match[3] ? decodeURIComponent(match[3]) : 'manifest.json';
    const attempt = count(slug, name);
    if (slug.startsWith('missing-')) return sendJson(res, 404, { error: 'no such course' });
    if (slug.startsWith('forbidden-')) return sendJson(res, 403, { error: 'forbidden' });
    if (slug.startsWith('unauthorized-')) return sendJson(res, 401, { error: 'unauthorized' });
    const params = paramsOf(slug, url.searchParams, settings);
    if (slug.startsWith('reset-') && attempt <= params.fail) {
      req.socket.resetAndDestroy();
      return;
    }

    if (!match[3]) {
      const host = req.headers.host ?? `${settings.host}:${settings.port}`;
      const query = url.search;
      const manifest: CourseManifest = {
        title: titleOf(slug) || slug,
        files: Array.from({ length: params.files }, (_, index) => {
          const size = fileSize(slug, index, params);
          const file = fileName(index);
          return {
            name: file,
            url: `http://${host}/courses/${encodeURIComponent(slug)}/files/${file}${query}`,
            size,
            ...(params.sha ? { sha256: fileSha256(slug, file, size) } : {}),
          };
        }),
      };
      return sendJson(res, 200, manifest);
    }

    const index = Number(NAME_RE.exec(name)?.[1] ?? 0) - 1;
    if (index < 0 || index >= params.files) return sendJson(res, 404, { error: 'no such file' });
    const size = fileSize(slug, index, params);
    const failing = attempt <= params.fail;
    if (slug.startsWith('flaky-') && failing) {
      const mode = params.flaky === 'alternate' ? (attempt % 2 === 1 ? '503' : 'cut') : params.flaky;
      if (mode === '503') return sendJson(res, 503, { error: 'temporarily unavailable' });
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
      return streamFile(res, {
        block: fileBlock(slug, name),
        size,
        bps: params.bps,
        cutAt: Math.floor(size / 2),
        corrupt: false,
      });
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': size });
    await streamFile(res, {
      block: fileBlock(slug, name),
      size,
      bps: params.bps,
      corrupt: slug.startsWith('corrupt-') && failing,
    });
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host}:${port}`;
  return {
    url: base,
    port,
    manifestUrl(slug, query = {}) {
      const search = new URLSearchParams(
        Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
      ).toString();
      return `${base}/courses/${encodeURIComponent(slug)}/manifest.json${search ? `?${search}` : ''}`;
    },
    requestCount: (slug, name) => counts.get(`${slug}/${name}`) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
