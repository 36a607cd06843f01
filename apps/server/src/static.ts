import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RouteHandler } from './http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

async function fileOrNull(file: string) {
  try {
    const info = await stat(file);
    return info.isFile() ? info : null;
  } catch {
    return null;
  }
}

/**
 * Serves the built SPA from a directory: real files as they are (hashed assets cached for a year),
 * every other GET path the index.html, so client-side routes survive a reload.
 */
export function staticSpa(root: string): RouteHandler {
  const base = path.resolve(root);
  return async (req, res) => {
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const candidate = path.resolve(base, `.${path.posix.normalize(urlPath)}`);
    // A path that climbs out of the root is answered with the SPA, never with the file.
    const inside = candidate.startsWith(base + path.sep);
    let file = inside ? candidate : path.join(base, 'index.html');
    let info = await fileOrNull(file);
    if (!info) {
      file = path.join(base, 'index.html');
      info = await fileOrNull(file);
    }
    if (!info) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end('the web app is not built: run `pnpm --filter @paidflow/web build`');
      return;
    }
    const immutable = file.includes(`${path.sep}assets${path.sep}`);
    res.writeHead(200, {
      'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'content-length': info.size,
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
    createReadStream(file).pipe(res);
  };
}
