import { useEffect, useRef, useState } from 'react';

/**
 * A text box whose value lives in the URL: the box shows a draft as the user types, which is
 * committed (trimmed) after a pause of `delayMs` or at once by `submit()`; a URL that changes
 * under the box (Back, Forward, a link) replaces the draft. `commit(value, { typing })` writes
 * the URL: while typing it should replace the history entry, so that Back skips keystrokes.
 */
export function useUrlDraft(
  urlValue: string,
  commit: (value: string, how: { typing: boolean }) => void,
  delayMs = 300,
) {
  const [draft, setDraft] = useState(urlValue);
  const lastUrlValue = useRef(urlValue);
  const commitRef = useRef(commit);
  commitRef.current = commit;

  // Back/forward changes the URL under the box: show what the URL says.
  useEffect(() => {
    if (urlValue !== lastUrlValue.current) {
      lastUrlValue.current = urlValue;
      setDraft(urlValue);
    }
  }, [urlValue]);

  // Typing commits after a short pause.
  useEffect(() => {
    const value = draft.trim();
    if (value === urlValue) return;
    const timer = setTimeout(() => {
      lastUrlValue.current = value;
      commitRef.current(value, { typing: true });
    }, delayMs);
    return () => clearTimeout(timer);
  }, [draft, urlValue, delayMs]);

  return {
    draft,
    setDraft,
    /** Commits the draft now (the form's submit). */
    submit() {
      const value = draft.trim();
      lastUrlValue.current = value;
      commitRef.current(value, { typing: false });
    },
  };
}
