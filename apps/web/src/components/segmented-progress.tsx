import { computeSegments, type SegmentCounts } from '../lib/segments.ts';

export interface SegmentedProgressProps extends SegmentCounts {
  /** Names what the bar measures, for screen readers: "Order DH123456". */
  label: string;
}

/**
 * One bar in three segments: completed, failed, in progress. Its box never changes size; only the
 * segments inside it move, so a tick never shifts the layout around it.
 */
export function SegmentedProgress({ label, ...counts }: SegmentedProgressProps) {
  const segments = computeSegments(counts);
  const running = Math.max(0, counts.total - counts.completed - counts.failed);
  const text = `${segments.percent}%: ${counts.completed} completed, ${counts.failed} failed, ${running} not ended, of ${counts.total}`;
  return (
    <div className="segmented">
      <div
        className="segmented__bar"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={segments.percent}
        aria-valuetext={text}
      >
        <span
          className="segmented__part segmented__part--completed"
          style={{ width: `${segments.completed}%` }}
        />
        <span className="segmented__part segmented__part--failed" style={{ width: `${segments.failed}%` }} />
        <span
          className="segmented__part segmented__part--active"
          style={{ width: `${segments.inProgress}%` }}
        />
      </div>
      <span className="segmented__percent num" aria-hidden="true">
        {segments.percent}%
      </span>
    </div>
  );
}
