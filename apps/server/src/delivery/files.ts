import type { Stats } from 'node:fs';
import { type FileHandle, open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { type DeliveredFile, localDeliveryPath } from '@paidflow/contracts';

/** A delivered file, open for reading, checked to be where it belongs. */
export interface OpenedFile {
  handle: FileHandle;
  info: Stats;
}

function isInside(base: string, target: string): boolean {
  return target.startsWith(base.endsWith(path.sep) ? base : `${base}${path.sep}`);
}

/** The directory of a task's files under DELIVERY_DIR (the `local` destination's layout). */
export function taskDirectory(
  deliveryDir: string,
  order: { order_code: string },
  task: { id: number; title: string },
): string {
  const relative = localDeliveryPath({ orderCode: order.order_code, taskId: task.id, title: task.title });
  return path.resolve(deliveryDir, ...relative.split('/'));
}

export type OpenOutcome =
  | { ok: true; file: OpenedFile }
  | { ok: false; reason: 'missing' | 'escapes' | 'not_a_file' | 'size_changed' };

/**
 * Opens one of a task's manifest files. The path was matched against the manifest already; here
 * it is resolved under the task's directory, and the real path (symbolic links followed) must
 * still be inside the real task directory, so that no link can lead out of DELIVERY_DIR. The file
 * must be a regular file of the manifest's size (the worker verified it so).
 */
export async function openDeliveredFile(directory: string, file: DeliveredFile): Promise<OpenOutcome> {
  const target = path.resolve(directory, ...file.path.split('/'));
  if (!isInside(directory, target)) return { ok: false, reason: 'escapes' };
  let real: string;
  let realDirectory: string;
  try {
    [real, realDirectory] = await Promise.all([realpath(target), realpath(directory)]);
  } catch {
    return { ok: false, reason: 'missing' };
  }
  if (!isInside(realDirectory, real)) return { ok: false, reason: 'escapes' };
  const handle = await open(real, 'r').catch(() => null);
  if (!handle) return { ok: false, reason: 'missing' };
  const info = await handle.stat();
  if (!info.isFile() || info.size !== file.size) {
    await handle.close();
    return { ok: false, reason: info.isFile() ? 'size_changed' : 'not_a_file' };
  }
  return { ok: true, file: { handle, info } };
}

/** The manifest's media type when it is a plain `type/subtype[; param=value]`, else octet-stream. */
export function safeContentType(contentType: string): string {
  const token = '[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*';
  const pattern = new RegExp(`^${token}/${token}(\\s*;\\s*${token}=${token})*$`);
  return pattern.test(contentType) ? contentType : 'application/octet-stream';
}

/**
 * `attachment` with the file's name twice: an ASCII fallback for old clients, and the exact
 * UTF-8 name as RFC 5987/6266 `filename*`.
 */
export function contentDisposition(name: string): string {
  const fallback =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^\x20-\x7e]/g, '_')
      .replace(/["\\]/g, '_') || 'download';
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** A validator that changes whenever the file does (size and modification time). */
export function etagOf(info: Stats): string {
  return `"${info.size.toString(36)}-${Math.floor(info.mtimeMs).toString(36)}"`;
}
