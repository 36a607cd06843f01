import type { z } from 'zod';

/**
 * One message of a control channel between server processes (a sign-out, a lost live message),
 * parsed with its contract; null when it is no JSON or not the schema, after `onMalformed` said so.
 */
export function parseControlMessage<S extends z.ZodType>(
  schema: S,
  raw: string,
  onMalformed: (reason: 'bad_json' | 'bad_payload', raw: string) => void,
): z.infer<S> | null {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    onMalformed('bad_json', raw);
    return null;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    onMalformed('bad_payload', raw);
    return null;
  }
  return parsed.data;
}
