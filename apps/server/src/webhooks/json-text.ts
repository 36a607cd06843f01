/**
 * What JSON.parse does not say about a JSON text: how deep it nests, which keys repeat in one
 * object (JSON.parse keeps the last silently) and which numbers do not survive as a JavaScript
 * number (12345678901234567890, 1e400). The text must already have passed JSON.parse.
 */
export interface JsonTextShape {
  depth: number;
  /** Repeated keys, with the depth of their object (1: the top level). */
  duplicateKeys: Array<{ key: string; depth: number }>;
  /** Number tokens whose value a double cannot hold exactly, as written. */
  lossyNumbers: string[];
  /**
   * Top-level keys whose value is such a number, every one of them (not capped like the
   * findings: a body must not hide a lossy `id` behind twenty lossy extras).
   */
  lossyTopLevelKeys: string[];
}

const NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const WHITESPACE = new Set([' ', '\t', '\n', '\r']);
/** Past this many findings of a kind the rest only count as "more": a report, not a dump. */
const MAX_FINDINGS = 20;

/** One pass over the text, without recursion (a 64 KiB body may nest 32 768 levels deep). */
export function inspectJsonText(text: string): JsonTextShape {
  const shape: JsonTextShape = { depth: 0, duplicateKeys: [], lossyNumbers: [], lossyTopLevelKeys: [] };
  // One entry per open container: the keys seen so far of an object, null for an array.
  const open: Array<Set<string> | null> = [];
  const lossyTopLevel = new Set<string>();
  // The last key read in the top-level object: the one a top-level value belongs to.
  let topLevelKey: string | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{' || c === '[') {
      open.push(c === '{' ? new Set() : null);
      shape.depth = Math.max(shape.depth, open.length);
      i++;
    } else if (c === '}' || c === ']') {
      open.pop();
      i++;
    } else if (c === '"') {
      const end = endOfString(text, i);
      const keys = open.at(-1);
      if (keys && nextNonSpace(text, end) === ':') {
        const key = JSON.parse(text.slice(i, end)) as string;
        if (open.length === 1) topLevelKey = key;
        if (!keys.has(key)) keys.add(key);
        else if (shape.duplicateKeys.length < MAX_FINDINGS)
          shape.duplicateKeys.push({ key, depth: open.length });
      }
      i = end;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const token = NUMBER.exec(text)?.[0] ?? c;
      if (isLossy(token)) {
        if (shape.lossyNumbers.length < MAX_FINDINGS) shape.lossyNumbers.push(token);
        if (open.length === 1 && open[0] && topLevelKey !== null) lossyTopLevel.add(topLevelKey);
      }
      i += token.length;
    } else {
      i++;
    }
  }
  shape.lossyTopLevelKeys = [...lossyTopLevel];
  return shape;
}

/** The index just past the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === '"') return i + 1;
    else i++;
  }
  return text.length;
}

function nextNonSpace(text: string, from: number): string | undefined {
  let i = from;
  while (i < text.length && WHITESPACE.has(text[i]!)) i++;
  return text[i];
}

/** Whether the double nearest to a number token has another decimal value than the token. */
export function isLossy(token: string): boolean {
  const value = Number(token);
  if (!Number.isFinite(value)) return true;
  return decimalKey(token) !== decimalKey(String(value));
}

/**
 * A decimal number in one canonical spelling: digits without leading or trailing zeros and a
 * power of ten ("1.50e2" and "150" are both "15e1"). Zero, and minus zero, are "0".
 */
function decimalKey(token: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(token);
  if (!match) return token;
  const [, sign, whole = '', fraction = '', exponent = '0'] = match;
  let digits = `${whole}${fraction}`.replace(/^0+/, '');
  let power = Number(exponent) - fraction.length;
  if (digits === '') return '0';
  const trailing = digits.length - digits.replace(/0+$/, '').length;
  digits = digits.slice(0, digits.length - trailing);
  power += trailing;
  return `${sign}${digits}e${power}`;
}
