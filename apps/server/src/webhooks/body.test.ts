import { expect, test } from 'vitest';
import { bodyKey, MAX_STORED_DEPTH, readWebhookBody } from './body.ts';
import { inspectJsonText, isLossy } from './json-text.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

test('a plain JSON object is stored as it is, without its bytes', () => {
  const body = readWebhookBody(bytes('{"id":1,"code":"DH00012345","nested":{"a":[1,2.5,"\\u0000"]}}'));
  expect(body).toMatchObject({ kind: 'json', rawBody: null, issues: [] });
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.payload).toEqual({ id: 1, code: 'DH00012345', nested: { a: [1, 2.5, '\u0000'] } });
});

test('lone surrogates become U+FFFD in the stored value, keys included, and the bytes are kept', () => {
  const raw = bytes('{"code":"\\ud800","\\udc00x":"ok \\ud83d\\ude00"}');
  const body = readWebhookBody(raw);
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.value).toEqual({ code: '\uFFFD', '\uFFFDx': 'ok \u{1F600}' });
  expect(body.rawBody).toEqual(raw);
  expect(body.issues).toEqual(['lone UTF-16 surrogates']);
});

test('a body nested deeper than MySQL takes is cut in the stand-in, and its bytes are kept', () => {
  const depth = MAX_STORED_DEPTH + 10;
  const raw = bytes(`{"id":1,"deep":${'['.repeat(depth)}${']'.repeat(depth)}}`);
  const body = readWebhookBody(raw);
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.issues).toContain(`nested deeper than ${MAX_STORED_DEPTH} levels`);
  let node: unknown = (body.payload as { deep: unknown }).deep;
  let levels = 1;
  while (Array.isArray(node)) {
    node = node[0];
    levels++;
  }
  expect(levels).toBe(MAX_STORED_DEPTH);
  expect(node).toMatch(/nested deeper than/);
  expect(body.rawBody).toEqual(raw);
});

test('repeated keys are reported with their level; the top-level ones are named', () => {
  const body = readWebhookBody(bytes('{"transferAmount":1,"x":{"a":1,"a":2},"transferAmount":500000}'));
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.repeatedTopLevelKeys).toEqual(['transferAmount']);
  expect(body.issues).toContain('repeated keys');
  // "\u0061" is "a": the same key spelled twice.
  expect(inspectJsonText('{"a":1,"\\u0061":2}').duplicateKeys).toEqual([{ key: 'a', depth: 1 }]);
  // A string value equal to a key, or a colon inside a string, is no key.
  expect(inspectJsonText('{"a":"a","b":"a:","c":["a"]}').duplicateKeys).toEqual([]);
});

test('numbers a double cannot hold are lossy; other spellings of the same value are not', () => {
  for (const token of ['12345678901234567890', '1e400', '-1e400', '0.1000000000000000055511151231257827'])
    expect(isLossy(token), token).toBe(true);
  for (const token of ['500000', '1.50', '15e1', '0.1', '-0', '0.0', '1E-7', '9007199254740991'])
    expect(isLossy(token), token).toBe(false);
  const body = readWebhookBody(bytes('{"transferAmount":1e400}'));
  expect(body.issues).toContain('numbers a double cannot hold');
});

test('the top-level keys of lossy numbers are all named, past the cap of findings, and only direct values', () => {
  const extras = Array.from({ length: 30 }, (_, i) => `"x${i}":1e400`).join(',');
  const shape = inspectJsonText(`{${extras},"n":{"id":1e400},"a":[1e400],"id":12.0000000000000001}`);
  expect(shape.lossyNumbers).toHaveLength(20);
  expect(shape.lossyTopLevelKeys).toContain('id');
  expect(shape.lossyTopLevelKeys).toHaveLength(31);
  expect(shape.lossyTopLevelKeys).not.toContain('n');
  expect(shape.lossyTopLevelKeys).not.toContain('a');
  const body = readWebhookBody(bytes('{"id":12,"transferAmount":500000.0000000000000001,"s":"1e400"}'));
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.lossyTopLevelKeys).toEqual(['transferAmount']);
  expect(body.value).toMatchObject({ transferAmount: 500000 });
});

test('a body that is not JSON, or not valid UTF-8, keeps its bytes and a stand-in that MySQL takes', () => {
  const notJson = readWebhookBody(bytes('id=1&amount=5'));
  expect(notJson).toMatchObject({
    kind: 'unparsed',
    payload: { unparsed: true, bytes: 13, preview: 'id=1&amount=5' },
  });
  const invalid = Buffer.concat([bytes('{"content":"'), Buffer.from([0xff, 0xed, 0xa0, 0x80]), bytes('"}')]);
  const body = readWebhookBody(invalid);
  if (body.kind !== 'json') throw new Error('expected json');
  expect(body.issues).toEqual(['invalid UTF-8']);
  expect(body.rawBody).toEqual(invalid);
  expect((body.payload as { content: string }).content).toMatch(/^\uFFFD+$/);
});

test('JSON that is not an object is wrapped, so that raw_payload is always an object', () => {
  for (const text of ['null', '[1,2]', '"x"', '5']) {
    const body = readWebhookBody(bytes(text));
    expect(body.payload, text).toEqual({ notAnObject: true, value: JSON.parse(text) });
    expect(body.issues, text).toContain('not a JSON object');
  }
});

test('a "__proto__" key stays a key of the stored value', () => {
  const body = readWebhookBody(bytes('{"__proto__":{"polluted":true},"\\ud800":1}'));
  expect(JSON.stringify(body.payload)).toBe('{"__proto__":{"polluted":true},"\uFFFD":1}');
  expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
});

test('the key of a body is the base64url SHA-256 of its bytes, within the id column', () => {
  const key = bodyKey(bytes('x'));
  expect(key).toMatch(/^body:[A-Za-z0-9_-]{43}$/);
  expect(key.length).toBeLessThanOrEqual(64);
  expect(bodyKey(bytes('x'))).toBe(key);
  expect(bodyKey(bytes('y'))).not.toBe(key);
});
