import type { OrderPriority, OrderStatus, Severity, TaskStatus } from '@paidflow/contracts';
import { orderTone, severityTone, type Tone, taskTone } from '../lib/labels.ts';

// Each tone has a glyph too, so the badge reads without colour (and in forced-colours mode).
const GLYPHS: Record<Tone, string> = {
  neutral: '○',
  info: '◔',
  active: '◑',
  success: '✓',
  danger: '✕',
  warning: '!',
  muted: '–',
};

/** A status word with its tone's glyph; `data` adds data-* attributes for tests and styles. */
export function Badge({
  tone,
  label,
  title,
  data,
}: {
  tone: Tone;
  label: string;
  title?: string | undefined;
  data?: Record<`data-${string}`, string>;
}) {
  return (
    <span className={`badge badge--${tone}`} data-tone={tone} title={title} {...data}>
      <span className="badge__glyph" aria-hidden="true">
        {GLYPHS[tone]}
      </span>
      {label}
    </span>
  );
}

export function TaskStatusBadge({ status }: { status: TaskStatus }) {
  return <Badge tone={taskTone(status)} label={status} />;
}

export function OrderStatusBadge({ status }: { status: OrderStatus }) {
  return <Badge tone={orderTone(status)} label={status.replaceAll('_', ' ')} />;
}

/** Shown beside a VIP order's code; a normal order shows nothing. */
export function PriorityBadge({ priority }: { priority: OrderPriority }) {
  if (priority !== 'vip') return null;
  return <Badge tone="info" label="VIP" title="VIP: its tasks go before the normal ones" />;
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <Badge tone={severityTone(severity)} label={severity} />;
}
