import superjson from 'superjson';
import { expect, test } from 'vitest';
import { markPlainJson, withPlainJsonFastPath } from './plain-json.ts';

const transformer = withPlainJsonFastPath(superjson);

test('a marked live event, alone or tracked, is sent as superjson would send plain JSON', () => {
  const event = markPlainJson({ kind: 'task.progress', data: { taskId: 1, percent: 5 } });
  expect(transformer.serialize(event)).toEqual(superjson.serialize(event));
  const tracked = { id: 'a-1', data: event };
  const wire = transformer.serialize(tracked);
  expect(wire).toEqual({ json: tracked });
  expect(superjson.deserialize(JSON.parse(JSON.stringify(wire)))).toEqual(tracked);
});

test('anything else still goes through superjson (dates survive)', () => {
  const value = { at: new Date(0), data: { n: 1 } };
  const wire = transformer.serialize(value) as { meta?: unknown };
  expect(wire.meta).toBeDefined();
  expect(transformer.deserialize(JSON.parse(JSON.stringify(wire)))).toEqual(value);
  const unmarkedTracked = { id: 'x', data: { when: new Date(5) } };
  expect(transformer.deserialize(JSON.parse(JSON.stringify(transformer.serialize(unmarkedTracked))))).toEqual(
    unmarkedTracked,
  );
});
