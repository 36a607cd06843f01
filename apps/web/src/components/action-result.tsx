import type { ActionResult } from '@paidflow/contracts';
import { Notice } from './feedback.tsx';

/** What a bulk action did, in words: how many done, how many skipped and why. */
export function describeActionResult(result: ActionResult, noun: string): string {
  const parts = [`${result.done.length} ${noun}${result.done.length === 1 ? '' : 's'} done`];
  if (result.skipped.length > 0) {
    const reasons = new Map<string, number>();
    for (const item of result.skipped) reasons.set(item.reason, (reasons.get(item.reason) ?? 0) + 1);
    const text = [...reasons].map(([reason, count]) => `${count} ${reason}`).join(', ');
    parts.push(`${result.skipped.length} skipped (${text})`);
  }
  if (result.capped) parts.push('more matched than one action takes: run it again for the rest');
  return `${parts.join('; ')}.`;
}

export function ActionResultNotice({ result, noun }: { result: ActionResult; noun: string }) {
  return (
    <Notice tone={result.done.length > 0 ? 'success' : 'info'}>{describeActionResult(result, noun)}</Notice>
  );
}
