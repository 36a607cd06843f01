import type { TaskStatus } from '@paidflow/contracts';
import { isRunningTaskStatus } from '../lib/domain.ts';
import { formatBytes, formatEta, formatPercent, formatSpeed } from '../lib/format.ts';
import { taskTone } from '../lib/labels.ts';

export interface TaskProgressProps {
  label: string;
  status: TaskStatus;
  percent: number;
  currentFile: string | null;
  speed: number | null;
  etaSeconds: number | null;
  bytesDone: number | null;
  bytesTotal: number | null;
}

/**
 * A task's live bar with its figures. The figures sit in fixed-width, tabular-number cells, and
 * the file name is clipped to one line, so nothing reflows when they change.
 */
export function TaskProgress(props: TaskProgressProps) {
  const percentText = formatPercent(props.percent);
  const running = isRunningTaskStatus(props.status);
  return (
    <div className="task-progress">
      <div className="task-progress__row">
        <div
          className={`bar bar--${taskTone(props.status)}`}
          role="progressbar"
          aria-label={props.label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.floor(Math.min(100, Math.max(0, props.percent)))}
          aria-valuetext={`${percentText}, ${props.status}`}
        >
          <span
            className="bar__fill"
            style={{ transform: `scaleX(${Math.min(100, Math.max(0, props.percent)) / 100})` }}
          />
        </div>
        <span className="task-progress__percent num" data-testid="task-percent">
          {percentText}
        </span>
      </div>
      <dl className="task-progress__facts">
        <div className="fact fact--file">
          <dt>File</dt>
          <dd className="truncate" title={props.currentFile ?? undefined}>
            {props.currentFile ?? '—'}
          </dd>
        </div>
        <div className="fact">
          <dt>Speed</dt>
          <dd className="num">{running ? formatSpeed(props.speed) : '—'}</dd>
        </div>
        <div className="fact">
          <dt>ETA</dt>
          <dd className="num">{running ? formatEta(props.etaSeconds) : '—'}</dd>
        </div>
        <div className="fact">
          <dt>Done</dt>
          <dd className="num">
            {props.bytesTotal ? `${formatBytes(props.bytesDone)} / ${formatBytes(props.bytesTotal)}` : '—'}
          </dd>
        </div>
      </dl>
    </div>
  );
}
