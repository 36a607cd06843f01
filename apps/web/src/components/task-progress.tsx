import { formatBytes, formatEta, formatPercent, formatSpeed } from '../lib/format.ts';
import { taskTone } from '../lib/labels.ts';
import type { TaskView } from '../live/task-live.ts';

const PHASE_LABELS: Record<NonNullable<TaskView['phase']>, string> = {
  enroll: 'enrolling',
  download: 'downloading',
  upload: 'delivering',
};

/** The figures of a task as mergeTask gives them: percent within 0-100, no speed or ETA unless running. */
export interface TaskProgressProps
  extends Pick<
    TaskView,
    'status' | 'percent' | 'phase' | 'currentFile' | 'speed' | 'etaSeconds' | 'bytesDone' | 'bytesTotal'
  > {
  label: string;
}

/**
 * A task's live bar with its figures. The figures sit in fixed-width, tabular-number cells, and
 * the file name is clipped to one line, so nothing reflows when they change.
 */
export function TaskProgress(props: TaskProgressProps) {
  const percentText = formatPercent(props.percent);
  return (
    <div className="task-progress">
      <div className="task-progress__row">
        <div
          className={`bar bar--${taskTone(props.status)}`}
          role="progressbar"
          aria-label={props.label}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.floor(props.percent)}
          aria-valuetext={`${percentText}, ${props.status}`}
        >
          <span className="bar__fill" style={{ transform: `scaleX(${props.percent / 100})` }} />
        </div>
        <span className="task-progress__percent num" data-testid="task-percent">
          {percentText}
        </span>
      </div>
      <dl className="task-progress__facts">
        <div className="fact">
          <dt>Phase</dt>
          <dd data-testid="task-phase">{props.phase ? PHASE_LABELS[props.phase] : '—'}</dd>
        </div>
        <div className="fact fact--file">
          <dt>File</dt>
          <dd className="truncate" title={props.currentFile ?? undefined}>
            {props.currentFile ?? '—'}
          </dd>
        </div>
        <div className="fact">
          <dt>Speed</dt>
          <dd className="num">{formatSpeed(props.speed)}</dd>
        </div>
        <div className="fact">
          <dt>ETA</dt>
          <dd className="num">{formatEta(props.etaSeconds)}</dd>
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
