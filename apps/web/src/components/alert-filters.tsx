import type { AlertKind, AlertStateFilter, ListAlertsInput } from '@paidflow/contracts';
import { ALERT_KINDS } from '@paidflow/contracts/constants';
import { humanize } from '../lib/labels.ts';
import { SelectField } from './select-field.tsx';

export const ALERT_PAGE_SIZE = 25;

const STATES: readonly AlertStateFilter[] = ['firing', 'resolved'];
const STATE_OPTIONS = [
  { value: '' as const, label: 'Firing and resolved' },
  { value: 'firing' as const, label: 'Firing' },
  { value: 'resolved' as const, label: 'Resolved' },
];
const KIND_OPTIONS = [
  { value: '' as const, label: 'All kinds' },
  ...ALERT_KINDS.map((kind) => ({ value: kind, label: humanize(kind) })),
];

export interface AlertFilterValues {
  state: AlertStateFilter | undefined;
  kind: AlertKind | undefined;
  cursor: string | undefined;
}

/** The filters, read from the URL (the one place they live); anything unknown is left out. */
export function readAlertFilters(search: URLSearchParams): AlertFilterValues {
  const state = search.get('state') ?? '';
  const kind = search.get('kind') ?? '';
  return {
    state: (STATES as readonly string[]).includes(state) ? (state as AlertStateFilter) : undefined,
    kind: (ALERT_KINDS as readonly string[]).includes(kind) ? (kind as AlertKind) : undefined,
    cursor: search.get('cursor') || undefined,
  };
}

export function alertListInput(filters: AlertFilterValues): ListAlertsInput {
  return { state: filters.state, kind: filters.kind, cursor: filters.cursor, limit: ALERT_PAGE_SIZE };
}

/** The Alerts page's filter bar: state and kind (each change goes to the URL). */
export function AlertFilters({
  filters,
  onChange,
}: {
  filters: AlertFilterValues;
  onChange: (change: { state?: string; kind?: string }) => void;
}) {
  return (
    <div className="filters">
      <SelectField
        label="State"
        value={filters.state ?? ''}
        options={STATE_OPTIONS}
        onChange={(state) => onChange({ state })}
      />
      <SelectField
        label="Kind"
        value={filters.kind ?? ''}
        options={KIND_OPTIONS}
        onChange={(kind) => onChange({ kind })}
      />
    </div>
  );
}
