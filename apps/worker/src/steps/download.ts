import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { link, mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { CourseManifest } from '@paidflow/contracts';
import { HttpStatusError, IdleTimeoutError, IntegrityError } from '../errors.ts';
import type { StepContext } from './context.ts';
import { enterStatus } from './transition.ts';

type ManifestFile = CourseManifest['files'][number];

export interface DownloadFilesOptions {
  files: ManifestFile[];
  /** The task's storage directory; finished files land here under their own names. */
  dir: string;
  signal: AbortSignal;
  /** A file that receives no byte for this long is aborted (TIMEOUT). */
  idleTimeoutMs: number;
  /** Called as bytes arrive, with the running total over every file. */
  onProgress?: (bytesDone: number, currentFile: string) => void;
  /** Called when a file starts, so that a failure can name it. */
  onFile?: (name: string) => void;
  /** Called with each file once it is whole and verified, with the sha256 of its bytes. */
  onVerified?: (file: VerifiedFile) => void;
}

/** A file as it was verified in storage: what its delivered copy must match. */
export interface VerifiedFile {
  name: string;
  size: number;
  sha256: string;
}

export interface DownloadResult {
  files: number;
  bytes: number;
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * A finished file from an earlier attempt (one killed mid-task) that still matches the manifest:
 * its sha256, or null when it must be downloaded again.
 */
async function alreadyDownloaded(target: string, file: ManifestFile): Promise<string | null> {
  const info = await stat(target).catch(() => null);
  if (!info?.isFile() || info.size !== file.size) return null;
  const digest = await sha256OfFile(target);
  return !file.sha256 || digest === file.sha256 ? digest : null;
}

/**
 * Streams one file to `<name>.part`, checking its size and sha256 on the way, flushes it to disk,
 * and renames it to its final name only when both match: a final name always holds a whole,
 * verified file, and is never written again. Returns the file's sha256.
 */
async function downloadFile(
  file: ManifestFile,
  target: string,
  options: DownloadFilesOptions,
  bytesBefore: number,
): Promise<string> {
  const part = `${target}.part`;
  const idle = new AbortController();
  // One timer, restarted by every chunk (a timer per chunk would churn on fast downloads). Should
  // it fire, a later refresh only re-arms it: aborting an aborted signal keeps the first reason.
  const timer = setTimeout(
    () => idle.abort(new IdleTimeoutError(options.idleTimeoutMs, file.url)),
    options.idleTimeoutMs,
  );
  const signal = AbortSignal.any([options.signal, idle.signal]);
  try {
    const response = await fetch(file.url, { signal });
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError(response.status, file.url);
    }
    const declared = response.headers.get('content-length');
    if (declared !== null && Number(declared) !== file.size) {
      await response.body.cancel().catch(() => {});
      throw new IntegrityError(
        `${file.name}: the source announces ${declared} bytes, the manifest ${file.size}`,
      );
    }
    const hash = createHash('sha256');
    let received = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        if (received > file.size) {
          callback(new IntegrityError(`${file.name}: more than the ${file.size} bytes of the manifest`));
          return;
        }
        hash.update(chunk);
        timer.refresh();
        options.onProgress?.(bytesBefore + received, file.name);
        callback(null, chunk);
      },
    });
    await pipeline(Readable.fromWeb(response.body), meter, createWriteStream(part, { flush: true }), {
      signal,
    });
    if (received !== file.size) {
      throw new IntegrityError(`${file.name}: received ${received} bytes, expected ${file.size}`);
    }
    const digest = hash.digest('hex');
    if (file.sha256 && digest !== file.sha256) {
      throw new IntegrityError(`${file.name}: sha256 ${digest} does not match the manifest's ${file.sha256}`);
    }
    await rename(part, target);
    return digest;
  } catch (error) {
    await rm(part, { force: true }).catch(() => {});
    // The idle timer's own error says more than the AbortError it caused.
    if (idle.signal.aborted && !options.signal.aborted) throw idle.signal.reason;
    if (options.signal.aborted) throw options.signal.reason;
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Downloads every file of a manifest into `dir`, in order, skipping files already verified there. */
export async function downloadFiles(options: DownloadFilesOptions): Promise<DownloadResult> {
  await mkdir(options.dir, { recursive: true });
  let bytes = 0;
  for (const file of options.files) {
    options.signal.throwIfAborted();
    options.onFile?.(file.name);
    const target = path.join(options.dir, file.name);
    const digest =
      (await alreadyDownloaded(target, file)) ?? (await downloadFile(file, target, options, bytes));
    options.onVerified?.({ name: file.name, size: file.size, sha256: digest });
    bytes += file.size;
    options.onProgress?.(bytes, file.name);
  }
  return { files: options.files.length, bytes };
}

/** The task's storage directory: one scratch directory per run inside it. */
export function taskStorageDir(storageDir: string, taskId: number): string {
  return path.join(storageDir, String(taskId));
}

const RUN_DIR = /^run-(\d+)$/;

/** A run's own scratch directory: two runs of a task never share a path. */
export function runStorageDir(storageDir: string, taskId: number, runToken: number): string {
  return path.join(taskStorageDir(storageDir, taskId), `run-${runToken}`);
}

/**
 * Takes over what earlier runs of the task left: each of their finished files is hard-linked into
 * this run's directory (a finished file is never written again, so the link is a stable copy,
 * checked again before use), then their directories are removed. Every earlier run is
 * superseded by this one, so nothing there belongs to a live owner any more.
 */
export async function adoptEarlierRuns(runDir: string, names: readonly string[]): Promise<number> {
  const taskDir = path.dirname(runDir);
  const own = RUN_DIR.exec(path.basename(runDir));
  const entries = await readdir(taskDir, { withFileTypes: true }).catch(() => []);
  let adopted = 0;
  for (const entry of entries) {
    const match = RUN_DIR.exec(entry.name);
    if (!entry.isDirectory() || !match || !own || Number(match[1]) >= Number(own[1])) continue;
    const earlier = path.join(taskDir, entry.name);
    for (const name of names) {
      try {
        await link(path.join(earlier, name), path.join(runDir, name));
        adopted++;
      } catch {
        // Not there, not finished, or already adopted: downloaded (again) as usual.
      }
    }
    await rm(earlier, { recursive: true, force: true }).catch(() => {});
  }
  return adopted;
}

/** Removes every run's scratch of a task: once it is complete or failed for good, none is needed. */
export async function removeTaskScratch(storageDir: string, taskId: number): Promise<void> {
  await rm(taskStorageDir(storageDir, taskId), { recursive: true, force: true });
}

/** Removes a run's directory, and its task's directory once no run is left in it. */
export async function removeRunDir(runDir: string): Promise<void> {
  await rm(runDir, { recursive: true, force: true });
  await rmdir(path.dirname(runDir)).catch(() => {});
}

/**
 * The download step: record the task as downloading, then stream every file into the run's own
 * directory with live progress, keeping what earlier runs finished.
 */
export async function download(
  ctx: StepContext,
  manifest: CourseManifest,
): Promise<DownloadResult & { dir: string; verified: VerifiedFile[] }> {
  ctx.state.step = 'download';
  ctx.state.file = null;
  const bytesTotal = manifest.files.reduce((total, file) => total + file.size, 0);
  await enterStatus(ctx, 'downloading', {
    message: `downloading ${manifest.files.length} files (${bytesTotal} bytes)`,
    details: { files: manifest.files.length, bytes: bytesTotal },
  });
  const dir = ctx.runDir;
  await mkdir(dir, { recursive: true });
  const names = manifest.files.map((file) => file.name);
  const adopted = await adoptEarlierRuns(dir, names);
  if (adopted > 0) ctx.logger.info({ adopted }, 'kept files that an earlier run finished');
  const verified: VerifiedFile[] = [];
  const tracker = ctx.progress.track({
    taskId: ctx.taskId,
    orderId: ctx.orderId,
    bytesTotal,
    phase: 'download',
  });
  try {
    const result = await downloadFiles({
      files: manifest.files,
      dir,
      signal: ctx.signal,
      idleTimeoutMs: ctx.env.DOWNLOAD_TIMEOUT_MS,
      onFile: (name) => {
        ctx.state.file = name;
      },
      onProgress: (done, name) => tracker.update(done, name),
      onVerified: (file) => verified.push(file),
    });
    ctx.state.file = null;
    await tracker.finish(manifest.files.at(-1)?.name ?? null);
    return { ...result, dir, verified };
  } catch (error) {
    await tracker.close();
    throw error;
  }
}
