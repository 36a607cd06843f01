import { expect, test } from 'vitest';
import { testEnv } from '../env.ts';

test('ALERT_INTERVAL_MS at half the lease or more is refused at start, naming the setting', () => {
  expect(() => testEnv({ ALERT_INTERVAL_MS: '15000', ALERT_LEASE_MS: '30000' })).toThrow(
    /ALERT_INTERVAL_MS[\s\S]*less than half of ALERT_LEASE_MS \(30000\)/,
  );
  expect(() => testEnv({ ALERT_INTERVAL_MS: '20000' })).toThrow(/ALERT_INTERVAL_MS/);
  expect(testEnv({ ALERT_INTERVAL_MS: '14999', ALERT_LEASE_MS: '30000' }).ALERT_INTERVAL_MS).toBe(14_999);
});
