import { expect, test } from 'vitest';
import { replicaName, statusFromRow } from './replicas.ts';

const running = { Slave_IO_Running: 'Yes', Slave_SQL_Running: 'Yes' };

test('a replica replicating within the lag bound serves; one beyond it, stopped or not replicating does not', () => {
  const row = (values: object) => values as Parameters<typeof statusFromRow>[1];
  expect(statusFromRow('r:3306', row({ ...running, Seconds_Behind_Master: 5 }), 5)).toEqual({
    name: 'r:3306',
    healthy: true,
    lagSeconds: 5,
    problem: null,
  });
  const behind = statusFromRow('r:3306', row({ ...running, Seconds_Behind_Master: 6 }), 5);
  expect(behind).toMatchObject({ healthy: false, lagSeconds: 6, problem: '6 s behind (bound 5 s)' });
  const stopped = statusFromRow(
    'r:3306',
    row({
      Slave_IO_Running: 'Yes',
      Slave_SQL_Running: 'No',
      Seconds_Behind_Master: null,
      Last_SQL_Error: 'boom',
    }),
    5,
  );
  expect(stopped).toMatchObject({ healthy: false, lagSeconds: null });
  expect(stopped.problem).toMatch(/stopped.*SQL No.*boom/);
  expect(statusFromRow('r:3306', row({ ...running, Seconds_Behind_Master: null }), 5).healthy).toBe(false);
  expect(statusFromRow('r:3306', undefined, 5)).toMatchObject({ healthy: false, problem: /not a replica/ });
});

test('a replica is named by host and port, never by its credentials', () => {
  expect(replicaName('mysql://app:s3cret@db-replica.internal:3307/paidflow')).toBe(
    'db-replica.internal:3307',
  );
  expect(replicaName('mysql://app:s3cret@10.0.0.5/paidflow')).toBe('10.0.0.5:3306');
});
