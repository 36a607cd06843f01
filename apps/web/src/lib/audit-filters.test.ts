import { SEVERITIES } from '@paidflow/contracts/constants';
import { expect, test } from 'vitest';
import { actorOf, auditFilterParams, readAuditFilters, stackOf, toggle, workerOf } from './audit-filters.ts';

test('filters round-trip through the URL in a canonical order', () => {
  const filters = readAuditFilters(new URLSearchParams('sev=critical,error,bogus&cat=download&task=12'));
  expect(filters).toEqual({ severity: ['error', 'critical'], category: ['download'], taskId: 12 });
  expect(auditFilterParams(filters)).toEqual({ sev: 'error,critical', cat: 'download', task: '12' });
  expect(readAuditFilters(new URLSearchParams('task=-3'))).toEqual({
    severity: [],
    category: [],
    taskId: null,
  });
});

test('toggling adds or removes one value', () => {
  expect(toggle(['error'], 'info', SEVERITIES)).toEqual(['info', 'error']);
  expect(toggle(['info', 'error'], 'info', SEVERITIES)).toEqual(['error']);
});

test('the actor is the admin e-mail, or the id, or nothing', () => {
  expect(actorOf({ actor: { id: 2, email: 'op@paidflow.local' } })).toBe('op@paidflow.local');
  expect(actorOf({ actor: { id: 2 } })).toBe('admin #2');
  expect(actorOf({ actor: 'ops-bot' })).toBe('ops-bot');
  expect(actorOf({ amount: 1 })).toBeNull();
  expect(actorOf(null)).toBeNull();
});

test('the worker and the stack trace of an attempt read from its details, when there', () => {
  expect(workerOf({ workerId: 'host-1-123' })).toBe('host-1-123');
  expect(workerOf({ workerId: 7 })).toBeNull();
  expect(workerOf(null)).toBeNull();
  expect(stackOf({ stack: 'Error: boom\n    at x' })).toBe('Error: boom\n    at x');
  expect(stackOf({})).toBeNull();
});
