import type { Tone } from '../lib/labels.ts';

export function StatCard({
  label,
  value,
  tone = 'neutral',
  hint,
}: {
  label: string;
  value: number | string | null | undefined;
  tone?: Tone;
  hint?: string;
}) {
  return (
    <div className={`stat-card stat-card--${tone}`}>
      <dt className="stat-card__label">{label}</dt>
      <dd className="stat-card__value num">{value ?? '—'}</dd>
      {hint ? <dd className="stat-card__hint">{hint}</dd> : null}
    </div>
  );
}
