/**
 * The numeric fields of a Redis INFO reply (`name:value` lines; `#` lines are section titles).
 * Fields whose value is not a number are left out.
 */
export function parseRedisInfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split(/\r?\n/)) {
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const value = Number(line.slice(colon + 1));
    if (line.slice(colon + 1).trim() !== '' && Number.isFinite(value))
      fields.set(line.slice(0, colon), value);
  }
  return fields;
}
