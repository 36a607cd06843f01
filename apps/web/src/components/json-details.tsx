import { useId, useState } from 'react';

/** A disclosure button that shows an event's JSON details, pretty-printed, when opened. */
export function JsonDetails({ value, label = 'Details' }: { value: unknown; label?: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className="json-details">
      <button
        type="button"
        className="link-button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((was) => !was)}
      >
        {open ? `Hide ${label.toLowerCase()}` : `Show ${label.toLowerCase()}`}
      </button>
      {open ? (
        <pre id={id} className="json-details__body">
          {JSON.stringify(value, null, 2)}
        </pre>
      ) : null}
    </div>
  );
}
