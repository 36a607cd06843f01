// @vitest-environment jsdom
import { act, cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { manualFrames } from './frame-scheduler.ts';
import { createFrameStore, type FrameStore } from './frame-store.ts';
import { useFrameValue } from './use-frame-value.ts';

afterEach(cleanup);

const renders = new Map<number, number>();

function Row({ store, id }: { store: FrameStore<number, number>; id: number }) {
  const value = useFrameValue(store, id);
  renders.set(id, (renders.get(id) ?? 0) + 1);
  return <li data-testid={`row-${id}`}>{value ?? 0}</li>;
}

test('hundreds of ticks for hundreds of rows render each moved row once per frame', () => {
  renders.clear();
  const frames = manualFrames();
  const store = createFrameStore<number, number>({ scheduler: frames, reduce: (_current, next) => next });
  const ids = Array.from({ length: 300 }, (_, i) => i + 1);
  render(
    <ul>
      {ids.map((id) => (
        <Row key={id} store={store} id={id} />
      ))}
    </ul>,
  );
  expect(renders.get(1)).toBe(1);

  // Ten ticks for each of the first 200 rows arrive within one frame.
  for (let tick = 1; tick <= 10; tick++) for (const id of ids.slice(0, 200)) store.write(id, tick);
  expect(screen.getByTestId('row-1').textContent).toBe('0');
  act(() => frames.runFrame());

  expect(screen.getByTestId('row-1').textContent).toBe('10');
  expect(screen.getByTestId('row-200').textContent).toBe('10');
  expect(renders.get(1)).toBe(2);
  expect(renders.get(200)).toBe(2);
  // Rows without news did not render again.
  expect(renders.get(201)).toBe(1);
  expect(renders.get(300)).toBe(1);
  expect(store.frames).toBe(1);
});
