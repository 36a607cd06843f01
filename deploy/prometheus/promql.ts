// What the configuration tests read: the metric selectors in a PromQL expression, and the
// metrics (with their samples' labels) in a Prometheus text exposition. Not a full PromQL
// parser: enough for the expressions we write, and strict enough to fail on a misspelt name.

/** One metric selector of an expression: its name and its equality or simple regex matchers. */
export interface Selector {
  metric: string;
  /** Label name -> the values the selector accepts (a regex of plain alternatives is split). */
  matchers: Map<string, string[] | null>;
}

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

function parseMatchers(body: string): Map<string, string[] | null> {
  const matchers = new Map<string, string[] | null>();
  for (const match of body.matchAll(/([a-zA-Z_]\w*)\s*(=~|!=|!~|=)\s*"((?:[^"\\]|\\.)*)"/g)) {
    const [, name = '', op, value = ''] = match;
    // Only what must exist is checked: a negative matcher, or a real regex, accepts anything.
    if (op === '=') matchers.set(name, [value]);
    else if (op === '=~' && /^[\w|]+$/.test(value)) matchers.set(name, value.split('|'));
    else matchers.set(name, null);
  }
  return matchers;
}

/** The metric selectors of a PromQL expression (a bare `{...}` selector has no name: skipped). */
export function selectorsOf(expr: string): Selector[] {
  const selectors: Selector[] = [];
  // Grafana variables, ranges and subqueries, and the label lists of by/without/on/ignoring go first.
  const text = expr
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const token =
    /("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[a-zA-Z]*)|([a-zA-Z_:][\w:]*)(\s*\{([^}]*)\})?(\s*\()?/g;
  for (const match of text.matchAll(token)) {
    const [, quoted, number, name, braces, body, call] = match;
    if (quoted || number || !name) continue;
    if (call && !braces) continue; // a function or an aggregation
    if (KEYWORDS.has(name.toLowerCase())) continue;
    selectors.push({ metric: name, matchers: braces ? parseMatchers(body ?? '') : new Map() });
  }
  return selectors;
}

/** A metric family of an exposition: its type and its samples' labels, by sample name. */
export interface Exposed {
  /** Every sample name the family can have (a histogram's _bucket, _sum and _count). */
  names: Set<string>;
  /** Sample name -> the label sets of its samples in this exposition. */
  samples: Map<string, Array<Record<string, string>>>;
}

const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/** Reads a Prometheus text exposition (what GET /metrics answers). */
export function parseExposition(text: string): Exposed {
  const names = new Set<string>();
  const samples = new Map<string, Array<Record<string, string>>>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name = '', kind = ''] = type;
      for (const suffix of SUFFIXES[kind] ?? ['']) names.add(`${name}${suffix}`);
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) throw new Error(`not an exposition line: ${line}`);
    const [, name = '', body = ''] = sample;
    const labels: Record<string, string> = {};
    for (const [, key = '', value = ''] of body.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key] = value;
    samples.set(name, [...(samples.get(name) ?? []), labels]);
  }
  return { names, samples };
}

/** Labels Prometheus adds at scrape (and a histogram's bucket bound): not the app's to export. */
const SCRAPE_LABELS = new Set(['job', 'instance', 'le']);

/** Series Prometheus makes itself for every target. */
const PROMETHEUS_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

/**
 * What is wrong with an expression against the metrics really exported: unknown names, and
 * label values no sample of the metric has (checked where the exposition has samples).
 */
export function problemsOf(expr: string, exposed: Exposed): string[] {
  const problems: string[] = [];
  for (const { metric, matchers } of selectorsOf(expr)) {
    if (PROMETHEUS_SERIES.has(metric)) continue;
    if (!exposed.names.has(metric)) {
      problems.push(`${metric} is not exported`);
      continue;
    }
    const samples = exposed.samples.get(metric) ?? [];
    if (samples.length === 0) continue;
    for (const [label, values] of matchers) {
      if (SCRAPE_LABELS.has(label) || values === null) continue;
      const seen = new Set(samples.map((labels) => labels[label]));
      for (const value of values) {
        if (!seen.has(value)) problems.push(`${metric}{${label}="${value}"} has no sample`);
      }
    }
  }
  return problems;
}
