// @vitest-environment jsdom
import { act, renderHook } from '@testing-library/react';
import { expect, test } from 'vitest';
import { useSelection } from './use-selection.ts';

test('items are selected, deselected, replaced and cleared', () => {
  const { result } = renderHook(() => useSelection<number>());
  act(() => result.current.set(1, true));
  act(() => result.current.set(2, true));
  expect([...result.current.selected]).toEqual([1, 2]);
  act(() => result.current.set(1, false));
  expect([...result.current.selected]).toEqual([2]);
  act(() => result.current.replace([5, 6]));
  expect([...result.current.selected]).toEqual([5, 6]);
  act(() => result.current.clear());
  expect(result.current.selected.size).toBe(0);
});

test('setting an item to what it already is keeps the same set (no re-render)', () => {
  const { result } = renderHook(() => useSelection<string>());
  act(() => result.current.set('a', true));
  const before = result.current.selected;
  act(() => result.current.set('a', true));
  act(() => result.current.set('b', false));
  expect(result.current.selected).toBe(before);
});
