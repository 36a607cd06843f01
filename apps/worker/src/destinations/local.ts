import { randomUUID } from 'node:crypto';
import { copyFile, link, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { type DeliveredFile, localDeliveryPath } from '@paidflow/contracts';
import { IntegrityError } from '../errors.ts';
import { sha256OfFile, type VerifiedFile } from '../steps/download.ts';
import { contentTypeOf } from './content-type.ts';
import type { DeliveredSet, DeliveryInput, Destination } from './index.ts';

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

/** A task's directory under DELIVERY_DIR: <order code>/<task id>-<slug> (the layout the server reads). */
export function localTaskDirectory(
  deliveryDir: string,
  task: { orderCode: string; taskId: number; title: string },
) {
  return path.join(deliveryDir, ...localDeliveryPath(task).split('/'));
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
export async function deliverFiles(options: DeliveryInput & { deliveryDir: string }): Promise<string> {
  const destination = localTaskDirectory(options.deliveryDir, options);
  const orderDir = path.dirname(destination);
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

/** The manifest of a task's delivered files: their paths in the task, sizes and media types. */
export function manifestOf(files: readonly VerifiedFile[]): DeliveredFile[] {
  return files.map((file) => ({ path: file.name, size: file.size, contentType: contentTypeOf(file.name) }));
}

/**
 * The `local` destination: files under DELIVERY_DIR, which the server reads (same machine or a
 * shared volume) and serves on the customer's page.
 */
export function createLocalDestination(deliveryDir: string): Destination {
  return {
    kind: 'local',
    async deliver(input: DeliveryInput): Promise<DeliveredSet> {
      return { location: await deliverFiles({ ...input, deliveryDir }) };
    },
    async verify(set: DeliveredSet, files: readonly VerifiedFile[]): Promise<DeliveredFile[]> {
      await verifyDelivered(set.location, files);
      return manifestOf(files);
    },
  };
}
