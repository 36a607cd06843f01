import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { StepContext } from './context.ts';
import { enterStatus } from './transition.ts';

/** A directory-name-safe slug of a course title. */
export function slugify(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'course';
}

/** Keeps a path segment a single segment, whatever the order code holds. */
function segment(text: string): string {
  const safe = text.replace(/[^A-Za-z0-9_-]/g, '_');
  return safe || 'order';
}

export interface DeliverOptions {
  sourceDir: string;
  fileNames: string[];
  deliveryDir: string;
  orderCode: string;
  taskId: number;
  title: string;
  signal?: AbortSignal;
}

/** A hard link when source and destination share a file system (instant), a copy otherwise. */
async function place(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
  }
}

/**
 * Delivers a task's finished files to DELIVERY_DIR/<order code>/<task id>-<slug>/, atomically:
 * the files go to a temporary directory next to it, which is renamed into place, so the
 * destination is either absent or complete. A destination left by an earlier attempt that was
 * delivered but not finalized is replaced.
 */
export async function deliverFiles(options: DeliverOptions): Promise<string> {
  const orderDir = path.join(options.deliveryDir, segment(options.orderCode));
  const destination = path.join(orderDir, `${options.taskId}-${slugify(options.title)}`);
  const temp = path.join(orderDir, `.tmp-${options.taskId}-${randomUUID()}`);
  await mkdir(temp, { recursive: true });
  try {
    for (const name of options.fileNames) {
      options.signal?.throwIfAborted();
      await place(path.join(options.sourceDir, name), path.join(temp, name));
    }
    await rm(destination, { recursive: true, force: true });
    await rename(temp, destination);
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
  return destination;
}

/** The upload step: record the task as uploading, then deliver the files to the customer's directory. */
export async function upload(
  ctx: StepContext,
  input: { sourceDir: string; fileNames: string[]; orderCode: string; title: string },
): Promise<string> {
  ctx.state.step = 'upload';
  ctx.state.file = null;
  await enterStatus(ctx, 'uploading', { message: `delivering ${input.fileNames.length} files` });
  return deliverFiles({
    ...input,
    deliveryDir: ctx.env.DELIVERY_DIR,
    taskId: ctx.taskId,
    signal: ctx.signal,
  });
}
