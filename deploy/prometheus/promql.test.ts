import { expect, test } from 'vitest';
import { parseExposition, problemsOf, selectorsOf } from './promql.ts';

test('the metric names of an expression leave out functions, keywords, labels, numbers and ranges', () => {
  const expr =
    'histogram_quantile(0.95, sum by (le) (rate(paidflow_a_bucket{outcome="completed"}[$__rate_interval]))) > 1e3' +
    ' and on() max(paidflow_b offset 5m) / clamp_min(sum without (instance) (increase(paidflow_c_total[15m])), 1)' +
    ' or up{job=~"paidflow-.*"} == bool 0';
  expect(selectorsOf(expr).map((s) => s.metric)).toEqual([
    'paidflow_a_bucket',
    'paidflow_b',
    'paidflow_c_total',
    'up',
  ]);
});

test('matchers keep the values that must exist; negative and real regex matchers accept anything', () => {
  const [selector] = selectorsOf('m{state=~"waiting|prioritized", kind="x", job!="y", route=~"/trpc.*"}');
  expect(selector?.matchers).toEqual(
    new Map([
      ['state', ['waiting', 'prioritized']],
      ['kind', ['x']],
      ['job', null],
      ['route', null],
    ]),
  );
});

const EXPOSITION = `# HELP h_seconds A histogram
# TYPE h_seconds histogram
h_seconds_bucket{le="1",outcome="completed"} 0
h_seconds_bucket{le="+Inf",outcome="completed"} 0
h_seconds_sum{outcome="completed"} 0
h_seconds_count{outcome="completed"} 0
# HELP g A gauge without samples yet
# TYPE g gauge
`;

test('an exposition names a histogram by its sample names, with the labels of its samples', () => {
  const exposed = parseExposition(EXPOSITION);
  expect([...exposed.names].sort()).toEqual(['g', 'h_seconds_bucket', 'h_seconds_count', 'h_seconds_sum']);
  expect(exposed.samples.get('h_seconds_count')).toEqual([{ outcome: 'completed' }]);
});

test('a misspelt name, a bare histogram name and a label value no sample has are problems', () => {
  const exposed = parseExposition(EXPOSITION);
  expect(problemsOf('rate(h_seconds_count{outcome="completed"}[5m]) + g{any="thing"} + up', exposed)).toEqual(
    [],
  );
  expect(problemsOf('h_secnds_count + h_seconds + h_seconds_count{outcome="complted"}', exposed)).toEqual([
    'h_secnds_count is not exported',
    'h_seconds is not exported',
    'h_seconds_count{outcome="complted"} has no sample',
  ]);
});

test('a line that is not an exposition line is refused', () => {
  expect(() => parseExposition('{oops} 1\n')).toThrow(/not an exposition line/);
});
