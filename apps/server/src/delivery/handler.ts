import type { IncomingMessage, ServerResponse } from 'node:http';
import { deliveryLinkStatus, deliverySlug } from '@paidflow/contracts';
import {
  appendAuditEvents,
  countDeliveryDownload,
  type DeliveredTask,
  type DeliveryLinkRow,
  deliveredTasksOf,
  findDeliveryLink,
  findOrder,
  markDeliveryLinkOpened,
  type OrderRow,
  withTransaction,
} from '@paidflow/db';
import type { AppDeps } from '../deps.ts';
import { clientIpOf } from '../trpc/context.ts';
import { openDeliveredFile, taskDirectory } from './files.ts';
import { type Lang, MESSAGES, pickLanguage } from './messages.ts';
import { deliveryPage, noticePage } from './page.ts';
import { takeDeliveryRequest } from './rate-limit.ts';
import { type ArchiveFile, sendFile, sendZip } from './serve.ts';
import { sameNonce, verifyDeliveryToken } from './tokens.ts';

export type DeliveryRouteDeps = Pick<AppDeps, 'env' | 'db' | 'redis' | 'namespace' | 'logger' | 'limits'>;

export type DeliveryTarget =
  | { kind: 'page' }
  | { kind: 'file'; taskId: number; path: string }
  | { kind: 'zip'; taskId: number };

/**
 * `/d/<token>`, `/d/<token>/f/<task id>/<path>` or `/d/<token>/zip/<task id>`, from the raw
 * request path (never normalised: `..` stays `..` and matches no manifest path); null otherwise.
 */
export function parseDeliveryPath(pathname: string): { token: string; target: DeliveryTarget } | null {
  if (!pathname.startsWith('/d/')) return null;
  const [token = '', kind, taskText, ...segments] = pathname.slice(3).split('/');
  if (!token) return null;
  if (kind === undefined || (kind === '' && taskText === undefined))
    return { token, target: { kind: 'page' } };
  if (!/^[1-9][0-9]{0,9}$/.test(taskText ?? '')) return null;
  const taskId = Number(taskText);
  if (kind === 'zip' && segments.length === 0) return { token, target: { kind: 'zip', taskId } };
  if (kind !== 'f' || segments.length === 0) return null;
  try {
    return { token, target: { kind: 'file', taskId, path: segments.map(decodeURIComponent).join('/') } };
  } catch {
    return null;
  }
}

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  // The page is the customer's key: never kept by a shared cache, never indexed.
  'cache-control': 'no-store',
  'x-robots-tag': 'noindex, nofollow',
  vary: 'Accept-Language',
};

function sendPage(
  res: ServerResponse,
  status: number,
  body: string,
  extra: Record<string, string | number> = {},
) {
  res.writeHead(status, { ...PAGE_HEADERS, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** The first open of a link each day (UTC) is audited, once, whatever the number of requests. */
async function recordOpen(deps: DeliveryRouteDeps, link: DeliveryLinkRow, via: DeliveryTarget['kind']) {
  const day = new Date().toISOString().slice(0, 10);
  try {
    await withTransaction(deps.db, async (tx) => {
      if (!(await markDeliveryLinkOpened(tx, link.id, day))) return;
      await appendAuditEvents(tx, [
        {
          order_id: link.order_id,
          event_type: 'delivery_opened',
          message: `The customer opened delivery link #${link.id} (first time on ${day})`,
          details: { linkId: link.id, day, via },
          source: 'customer',
          dedupe_key: `delivery_opened:${link.id}:${day}`,
        },
      ]);
    });
  } catch (error) {
    deps.logger.warn({ err: error, linkId: link.id }, 'could not record the opening of a delivery link');
  }
}

interface Resolved {
  deps: DeliveryRouteDeps;
  req: IncomingMessage;
  res: ServerResponse;
  lang: Lang;
  link: DeliveryLinkRow;
  order: OrderRow;
  tasks: DeliveredTask[];
  base: string;
  notFound: () => void;
  unavailable: () => void;
}

function deliveredTask(r: Resolved, taskId: number) {
  const task = r.tasks.find((item) => item.id === taskId);
  return task?.files ? { ...task, files: task.files } : null;
}

async function serveFile(r: Resolved, target: Extract<DeliveryTarget, { kind: 'file' }>): Promise<void> {
  const task = deliveredTask(r, target.taskId);
  const file = task?.files.find((item) => item.path === target.path);
  if (!task || !file) {
    r.deps.logger.info(
      { linkId: r.link.id, taskId: target.taskId },
      'delivery request outside the order’s files',
    );
    return r.notFound();
  }
  const opened = await openDeliveredFile(taskDirectory(r.deps.env.DELIVERY_DIR, r.order, task), file);
  if (!opened.ok) {
    const log = { linkId: r.link.id, taskId: task.id, path: file.path, reason: opened.reason };
    if (opened.reason === 'escapes') {
      r.deps.logger.warn(log, 'delivered file resolves outside its directory; refused');
      return r.notFound();
    }
    r.deps.logger.error(log, 'delivered file unavailable');
    return r.unavailable();
  }
  const sent = await sendFile(r.req, r.res, opened.file, file);
  if (!sent) return;
  await countDeliveryDownload(r.deps.db, { taskId: task.id, path: file.path, ...sent }).catch(
    (error: unknown) => r.deps.logger.warn({ err: error, taskId: task.id }, 'could not count a download'),
  );
}

async function serveZip(r: Resolved, taskId: number): Promise<void> {
  const task = deliveredTask(r, taskId);
  if (!task || task.files.length === 0) return r.notFound();
  const directory = taskDirectory(r.deps.env.DELIVERY_DIR, r.order, task);
  const files: ArchiveFile[] = [];
  for (const file of task.files) {
    const opened = await openDeliveredFile(directory, file);
    if (!opened.ok) {
      r.deps.logger.error({ taskId, path: file.path, reason: opened.reason }, 'delivered file unavailable');
      return r.unavailable();
    }
    files.push({ file, mtime: opened.file.info.mtime });
    await opened.file.handle.close();
  }
  const sent: string[] = [];
  try {
    await sendZip(r.req, r.res, {
      folder: deliverySlug(task.title),
      files,
      open: async (file) => {
        const opened = await openDeliveredFile(directory, file);
        return opened.ok ? opened.file : null;
      },
      onEntry: (file) => sent.push(file.path),
    });
  } catch (error) {
    // The client went away, or a file vanished mid-archive (the response is cut: its length was promised).
    if (!r.req.destroyed) r.deps.logger.warn({ err: error, taskId }, 'course archive cut short');
  }
  for (const path of sent) {
    const size = task.files.find((file) => file.path === path)?.size ?? 0;
    await countDeliveryDownload(r.deps.db, { taskId, path, started: true, bytes: size }).catch(
      (error: unknown) => r.deps.logger.warn({ err: error, taskId }, 'could not count a download'),
    );
  }
}

/**
 * GET (and HEAD) /d/...: the customer's download page and files. Rate-limited per client first.
 * A token that is malformed, forged or names no link gets the same 404 page, so that the answer
 * says nothing; a real link that expired or was revoked gets 410 and how to ask for a new one.
 */
export async function handleDeliveryRequest(
  deps: DeliveryRouteDeps,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const raw = req.url ?? '/';
  const queryAt = raw.indexOf('?');
  const pathname = queryAt >= 0 ? raw.slice(0, queryAt) : raw;
  const query = new URLSearchParams(queryAt >= 0 ? raw.slice(queryAt + 1) : '');
  const lang = pickLanguage(query.get('lang'), req.headers['accept-language']);
  const t = MESSAGES[lang];
  const notFound = () => sendPage(res, 404, noticePage(lang, t.notFoundTitle, t.notFound));
  const unavailable = () => sendPage(res, 500, noticePage(lang, t.unavailableTitle, t.unavailable));
  try {
    const rate = await takeDeliveryRequest(deps, clientIpOf(req, deps.env.TRUST_PROXY));
    if (!rate.allowed) {
      return sendPage(res, 429, noticePage(lang, t.rateLimitedTitle, t.rateLimited), {
        'retry-after': rate.retryAfterSeconds,
      });
    }
    const parsed = parseDeliveryPath(pathname);
    const claims = parsed && verifyDeliveryToken(parsed.token, deps.env.DELIVERY_SECRETS);
    if (!parsed || !claims) {
      deps.logger.info({ reason: parsed ? 'signature' : 'path' }, 'delivery request refused');
      return notFound();
    }
    const link = await findDeliveryLink(deps.db, claims.linkId);
    const order =
      link && sameNonce(link.nonce, claims.nonce) ? await findOrder(deps.db, link.order_id) : undefined;
    if (!link || !order) {
      deps.logger.info({ linkId: claims.linkId, reason: 'unknown link' }, 'delivery request refused');
      return notFound();
    }
    const status = deliveryLinkStatus(link);
    if (status !== 'active') {
      deps.logger.info({ linkId: link.id, status }, 'delivery link no longer valid');
      const title = status === 'revoked' ? t.revokedTitle : t.expiredTitle;
      return sendPage(res, 410, noticePage(lang, title, t.gone(order.order_code)));
    }
    if (req.method === 'GET') await recordOpen(deps, link, parsed.target.kind);
    const tasks = await deliveredTasksOf(deps.db, order.id);
    const r: Resolved = {
      deps,
      req,
      res,
      lang,
      link,
      order,
      tasks,
      base: `/d/${parsed.token}`,
      notFound,
      unavailable,
    };
    const { target } = parsed;
    if (target.kind === 'file') return await serveFile(r, target);
    if (target.kind === 'zip') return await serveZip(r, target.taskId);
    const courses = tasks.map((task) => ({
      taskId: task.id,
      title: task.title,
      status: task.status,
      files: task.files,
    }));
    sendPage(
      res,
      200,
      deliveryPage({ lang, base: r.base, orderCode: order.order_code, expiresAt: link.expires_at, courses }),
    );
  } catch (error) {
    deps.logger.error({ err: error }, 'delivery request failed');
    if (!res.headersSent) sendPage(res, 503, noticePage(lang, t.unavailableTitle, t.unavailable));
    else res.destroy();
  }
}
