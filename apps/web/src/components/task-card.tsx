import type { ReactNode } from 'react';
import { ERROR_TYPE_LABELS } from '../lib/labels.ts';
import type { TaskView } from '../live/task-live.ts';
import { TaskStatusBadge } from './status-badge.tsx';
import { TaskProgress } from './task-progress.tsx';

/** A destination is a web link or a path on the storage host: link the first, print the second. */
function Destination({ link }: { link: string }) {
  if (/^https?:\/\//i.test(link)) {
    return (
      <a href={link} target="_blank" rel="noopener noreferrer">
        Open the destination
      </a>
    );
  }
  return (
    <span>
      Destination: <code className="destination">{link}</code>
    </span>
  );
}

/** One download task: its live progress, status, error, destination and (for operators) actions. */
export function TaskCard({ task, actions }: { task: TaskView; actions?: ReactNode }) {
  return (
    <li className="task-card" data-task-id={task.id} data-status={task.status}>
      <div className="task-card__head">
        <h3>{task.title}</h3>
        <TaskStatusBadge status={task.status} />
        <span className="muted num">
          #{task.id}
          {task.attempts > 0 ? ` · attempt ${task.attempts}` : ''}
        </span>
      </div>
      <p className="task-card__url truncate" title={task.courseUrl}>
        {task.courseUrl}
      </p>
      <TaskProgress
        label={`Task ${task.title}`}
        status={task.status}
        percent={task.percent}
        phase={task.phase}
        currentFile={task.currentFile}
        speed={task.speed}
        etaSeconds={task.etaSeconds}
        bytesDone={task.bytesDone}
        bytesTotal={task.bytesTotal}
      />
      {task.error ? (
        <div className="error-box" role="note" aria-label="Task error">
          <span className="error-type" title={ERROR_TYPE_LABELS[task.error.type]}>
            {task.error.type}
          </span>
          {task.error.message}
        </div>
      ) : task.lastError && task.status !== 'completed' ? (
        <div className="error-box error-box--past">
          Attempt {task.lastError.attempt} failed:{' '}
          <span className="error-type" title={ERROR_TYPE_LABELS[task.lastError.type]}>
            {task.lastError.type}
          </span>
          {task.lastError.message}
        </div>
      ) : null}
      <div className="task-card__foot">
        <div>
          {task.driveLink ? (
            <Destination link={task.driveLink} />
          ) : (
            <span className="muted">No destination yet</span>
          )}
        </div>
        {actions ? <div className="actions">{actions}</div> : null}
      </div>
    </li>
  );
}
