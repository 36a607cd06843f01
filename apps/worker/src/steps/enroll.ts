import { CourseManifest } from '@paidflow/contracts';
import { HttpStatusError, ManifestError } from '../errors.ts';
import type { StepContext } from './context.ts';
import { enterStatus } from './transition.ts';

/** A manifest larger than this is refused rather than read into memory. */
const MAX_MANIFEST_BYTES = 5 * 1024 * 1024;

function httpUrl(text: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ManifestError(`${what} is not a URL: ${text.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ManifestError(`${what} must be http(s): ${url.protocol}`);
  }
  return url;
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  if (declared > limit) throw new ManifestError(`manifest larger than ${limit} bytes`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > limit) throw new ManifestError(`manifest larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Fetches a course manifest and validates it against the contract (unique names, http(s) URLs). */
export async function fetchManifest(
  courseUrl: string,
  options: { signal: AbortSignal; timeoutMs: number },
): Promise<CourseManifest> {
  const url = httpUrl(courseUrl, 'the course URL');
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  const response = await fetch(url, { signal, headers: { accept: 'application/json' } });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new HttpStatusError(response.status, url.href);
  }
  const text = await readLimited(response, MAX_MANIFEST_BYTES);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(`manifest is not JSON: ${(error as Error).message}`);
  }
  const parsed = CourseManifest.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new ManifestError(`manifest does not follow the contract: ${detail}`);
  }
  // The contract already admits only http(s) file URLs; unique names it cannot express.
  const names = new Set<string>();
  for (const file of parsed.data.files) {
    if (names.has(file.name)) throw new ManifestError(`manifest lists ${file.name} twice`);
    names.add(file.name);
  }
  return parsed.data;
}

/** The enroll step: read the course's manifest, then record the task as enrolled. */
export async function enroll(ctx: StepContext, courseUrl: string): Promise<CourseManifest> {
  ctx.state.step = 'enroll';
  ctx.state.file = null;
  const manifest = await fetchManifest(courseUrl, {
    signal: ctx.signal,
    timeoutMs: ctx.env.DOWNLOAD_TIMEOUT_MS,
  });
  const bytes = manifest.files.reduce((total, file) => total + file.size, 0);
  await enterStatus(ctx, 'enrolled', {
    message: `enrolled in ${manifest.title}: ${manifest.files.length} files, ${bytes} bytes`,
    details: { title: manifest.title, files: manifest.files.length, bytes },
  });
  // The bar's first band: enrolled (decision 048).
  const tracker = ctx.progress.track({
    taskId: ctx.taskId,
    orderId: ctx.orderId,
    bytesTotal: 0,
    phase: 'enroll',
  });
  await tracker.finish(null);
  return manifest;
}
