import * as contracts from '@paidflow/contracts';
import { expect, test } from 'vitest';
import * as domain from './domain.ts';

test("the browser's enumerations are the contract's, in the same order", () => {
  expect(domain.ORDER_STATUSES).toEqual([...contracts.ORDER_STATUSES]);
  expect(domain.TASK_STATUSES).toEqual([...contracts.TASK_STATUSES]);
  expect(domain.SEVERITIES).toEqual([...contracts.SEVERITIES]);
  expect(domain.AUDIT_CATEGORIES).toEqual([...contracts.AUDIT_CATEGORIES]);
  expect(domain.ERROR_TYPES).toEqual([...contracts.ERROR_TYPES]);
});

test('terminal and active statuses agree with the contract', () => {
  for (const status of contracts.TASK_STATUSES) {
    expect(domain.isTerminalTaskStatus(status)).toBe(contracts.isTerminalTaskStatus(status));
    expect(domain.isActiveTaskStatus(status)).toBe(contracts.isActiveTaskStatus(status));
  }
});
