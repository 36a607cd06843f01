import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { IntegrityError } from '../errors.ts';
import type { StepContext } from './context.ts';
import { sha256OfFile, type VerifiedFile } from './download.ts';
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
  /** The files to deliver, as they were verified in storage. */
  files: readonly VerifiedFile[];
  deliveryDir: string;
  orderCode: string;
  taskId: number;
  title: string;
  signal?: AbortSignal;
}

/** Flushes a file or a directory (its entries) to disk. */
async function sync(target: string): Promise<void> {
  const handle = await open(target, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * A hard link when source and destination share a file system (instant: the storage file was
 * flushed when it was downloaded, and a finished file is never written again), else a copy,
 * flushed before it is renamed into place.
 */
async function place(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
    await sync(to);
  }
}

/**
 * Checks every delivered file where the customer will read it: its size and its sha256 must be
 * those it was verified with in storage. A mismatch is an IntegrityError (a retryable failed
 * attempt), never a completion.
 */
export async function verifyDelivered(destination: string, files: readonly VerifiedFile[]): Promise<void> {
  for (const file of files) {
    const target = path.join(destination, file.name);
    const info = await stat(target).catch(() => null);
    if (!info?.isFile() || info.size !== file.size) {
      throw new IntegrityError(
        `${file.name}: the delivered copy has ${info?.size ?? 'no'} bytes, expected ${file.size}`,
      );
    }
    const digest = await sha256OfFile(target);
    if (digest !== file.sha256) {
      throw new IntegrityError(
        `${file.name}: the delivered copy's sha256 ${digest} does not match the verified ${file.sha256}`,
      );
    }
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
    for (const file of options.files) {
      options.signal?.throwIfAborted();
      await place(path.join(options.sourceDir, file.name), path.join(temp, file.name));
    }
    await sync(temp);
    // Replace the destination without a moment of it half-removed: the old one is renamed aside
    // (there is then no destination, never a partial one), the new one renamed in, the old deleted.
    const old = `${temp}.old`;
    const replaced = await rename(destination, old).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    await rename(temp, destination);
    await sync(orderDir);
    if (replaced) await rm(old, { recursive: true, force: true });
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => {});
    throw error;
  }
  return destination;
}

/** The upload step: record the task as uploading, then deliver the files to the customer's directory. */
export async function upload(
  ctx: StepContext,
  input: { sourceDir: string; files: readonly VerifiedFile[]; orderCode: string; title: string },
): Promise<string> {
  ctx.state.step = 'upload';
  ctx.state.file = null;
  // The server refuses this if the run was superseded meanwhile: a fenced run delivers nothing.
  await enterStatus(ctx, 'uploading', { message: `delivering ${input.files.length} files` });
  return deliverFiles({
    ...input,
    deliveryDir: ctx.env.DELIVERY_DIR,
    taskId: ctx.taskId,
    signal: ctx.signal,
  });
}
