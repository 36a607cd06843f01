import { useId } from 'react';

export interface SelectFieldProps<V extends string | number> {
  label: string;
  value: V | '';
  options: ReadonlyArray<{ value: V | ''; label: string }>;
  onChange: (value: string) => void;
}

/** A labelled select of a filter bar. */
export function SelectField<V extends string | number>({
  label,
  value,
  options,
  onChange,
}: SelectFieldProps<V>) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} className="select" value={value} onChange={(event) => onChange(event.target.value)}>
        {options.map((option) => (
          <option key={String(option.value)} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </div>
  );
}
