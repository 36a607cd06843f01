import type { ListPaymentsInput, PaymentOutcomeFilter } from '@paidflow/contracts';
import { PAYMENT_TRANSACTION_STATUSES } from '@paidflow/contracts/constants';
import { type FormEvent, useId } from 'react';
import { SelectField } from './select-field.tsx';

export const PAYMENT_PAGE_SIZES = [25, 50, 100] as const;

const OUTCOMES: readonly PaymentOutcomeFilter[] = ['attention', ...PAYMENT_TRANSACTION_STATUSES];
const OUTCOME_OPTIONS = [
  { value: '' as const, label: 'All outcomes' },
  { value: 'attention' as const, label: 'Needs attention' },
  ...PAYMENT_TRANSACTION_STATUSES.map((status) => ({
    value: status,
    label: status === 'ignored' ? 'ignored (already paid, outgoing)' : status,
  })),
];
const SIZE_OPTIONS = PAYMENT_PAGE_SIZES.map((size) => ({ value: size, label: String(size) }));

export interface PaymentFilterValues {
  q: string;
  outcome: PaymentOutcomeFilter | undefined;
  /** Days as the date inputs hold them: YYYY-MM-DD, both ends included. */
  from: string;
  to: string;
  cursor: string | undefined;
  size: (typeof PAYMENT_PAGE_SIZES)[number];
}

/** The filters, read from the URL (the one place they live); anything unknown is left out. */
/** A labelled day of the filter bar's date range ('' for none). */
function DateField(props: {
  label: string;
  value: string;
  min?: string;
  max?: string;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        className="input"
        type="date"
        value={props.value}
        min={props.min || undefined}
        max={props.max || undefined}
        onChange={(event) => props.onChange(event.target.value)}
      />
    </div>
  );
}

export function readPaymentFilters(search: URLSearchParams): PaymentFilterValues {
  const outcome = search.get('outcome') ?? '';
  return {
    q: (search.get('q') ?? '').trim(),
    outcome: (OUTCOMES as readonly string[]).includes(outcome)
      ? (outcome as PaymentOutcomeFilter)
      : undefined,
    from: localDay(search.get('from')) ? (search.get('from') ?? '') : '',
    to: localDay(search.get('to')) ? (search.get('to') ?? '') : '',
    cursor: search.get('cursor') || undefined,
    size: PAYMENT_PAGE_SIZES.find((size) => String(size) === search.get('size')) ?? PAYMENT_PAGE_SIZES[0],
  };
}

/** The local midnight starting a YYYY-MM-DD day (plus `addDays`); null when it is no real day. */
export function localDay(text: string | null, addDays = 0): Date | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text ?? '');
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(year, month - 1, day);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day) return null;
  date.setDate(date.getDate() + addDays);
  return date;
}

/** The query for these filters; null when the date range ends before it starts. */
export function paymentListInput(filters: PaymentFilterValues): ListPaymentsInput | null {
  const from = localDay(filters.from) ?? undefined;
  // The last day is included: the range ends at the next midnight.
  const to = localDay(filters.to, 1) ?? undefined;
  if (from && to && from >= to) return null;
  return {
    limit: filters.size,
    outcome: filters.outcome,
    search: filters.q || undefined,
    from,
    to,
    cursor: filters.cursor,
  };
}

export interface PaymentFiltersProps {
  filters: PaymentFilterValues;
  draft: string;
  onDraft: (value: string) => void;
  onSubmit: () => void;
  /** Changes some filters (and goes back to the first page). */
  onChange: (change: Partial<Record<'outcome' | 'from' | 'to' | 'size', string>>) => void;
}

/** The inbox's filters bar: one search box, the outcome, a date range and the page size. */
export function PaymentFilters({ filters, draft, onDraft, onSubmit, onChange }: PaymentFiltersProps) {
  const searchId = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit();
  }
  return (
    <search>
      <form className="filters filters--payments" onSubmit={submit}>
        <div className="field">
          <label htmlFor={searchId}>Search by reference, order code, amount or content</label>
          <input
            id={searchId}
            className="input"
            type="search"
            placeholder="FT25152123456, DH123456, 500000 or words"
            value={draft}
            maxLength={255}
            onChange={(event) => onDraft(event.target.value)}
          />
        </div>
        <SelectField
          label="Outcome"
          value={filters.outcome ?? ''}
          options={OUTCOME_OPTIONS}
          onChange={(outcome) => onChange({ outcome })}
        />
        <DateField
          label="From"
          value={filters.from}
          max={filters.to}
          onChange={(from) => onChange({ from })}
        />
        <DateField label="To" value={filters.to} min={filters.from} onChange={(to) => onChange({ to })} />
        <SelectField
          label="Per page"
          value={filters.size}
          options={SIZE_OPTIONS}
          onChange={(size) => onChange({ size })}
        />
        <button className="button" type="submit">
          Search
        </button>
      </form>
    </search>
  );
}
