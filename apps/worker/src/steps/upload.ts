import { deliverySlug } from '@paidflow/contracts';
import type { DeliveredSet } from '../destinations/index.ts';
import type { StepContext } from './context.ts';
import type { VerifiedFile } from './download.ts';
import { enterStatus } from './transition.ts';

// The local destination's file operations, where this step's tests have always found them.
export { deliverFiles, verifyDelivered } from '../destinations/local.ts';

/** A directory-name-safe slug of a course title (the contracts' one, shared with the server). */
export const slugify = deliverySlug;

/**
 * The upload step: record the task as uploading, then deliver the files to the customer's
 * destination (DELIVERY_DESTINATION), atomically.
 */
export async function upload(
  ctx: StepContext,
  input: { sourceDir: string; files: readonly VerifiedFile[]; orderCode: string; title: string },
): Promise<DeliveredSet> {
  ctx.state.step = 'upload';
  ctx.state.file = null;
  // The server refuses this if the run was superseded meanwhile: a fenced run delivers nothing.
  await enterStatus(ctx, 'uploading', { message: `delivering ${input.files.length} files` });
  return ctx.destination.deliver({ ...input, taskId: ctx.taskId, signal: ctx.signal });
}
