import { afterEach, vi } from 'vitest';

// A test fails on console.error unless it expects one (vi.spyOn(console, 'error') in the test),
// so that noisy failures stay visible.
let errors: unknown[][] = [];
const original = console.error;
console.error = (...args: unknown[]) => {
  errors.push(args);
  original(...args);
};
afterEach(() => {
  const seen = errors;
  errors = [];
  if (vi.isMockFunction(console.error)) return;
  if (seen.length > 0)
    throw new Error(`unexpected console.error: ${seen.map((a) => a.join(' ')).join('\n')}`);
});
