import { describe, expect, it } from 'vitest';
import { renewalSteps } from './socket-leases.ts';

describe('renewalSteps', () => {
  it('cuts one server’s leases into steps of at most the size, in order', () => {
    const leases = Array.from({ length: 250 }, (_, i) => i);
    const steps = renewalSteps([leases], 100);
    expect(steps.map((step) => step.map((batch) => batch.length))).toEqual([[100], [100], [50]]);
    expect(steps.flat(2)).toEqual(leases);
  });

  it('packs a cluster’s small slot groups together, never splitting a step over the size', () => {
    const groups = [[1, 2], [3], [4, 5, 6], [7, 8, 9, 10, 11]];
    const steps = renewalSteps(groups, 4);
    // Each batch stays within its own group (one slot); each step holds at most 4 leases.
    expect(steps).toEqual([[[1, 2], [3]], [[4, 5, 6]], [[7, 8, 9, 10]], [[11]]]);
    for (const step of steps) expect(step.flat().length).toBeLessThanOrEqual(4);
  });

  it('has no step for no leases', () => {
    expect(renewalSteps([], 100)).toEqual([]);
    expect(renewalSteps([[]], 100)).toEqual([]);
  });
});
