import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
// @ts-expect-error: a plain Node script without type declarations
import { advisoriesOf, classifyAuditRun, evaluateAudit, parseAllowlist } from './audit.mjs';

const FIXTURES = path.join(import.meta.dirname, 'audit-fixtures');
const SCRIPT = path.join(import.meta.dirname, 'audit.mjs');
const NOW = new Date('2026-12-02T10:00:00Z');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const report = (name: string) => JSON.parse(fixture(name));
const noList = { entries: [], errors: [] };
const list = (entries: unknown[]) => parseAllowlist(JSON.stringify({ entries }));
const HIGH_ENTRY = {
  id: 'GHSA-35jh-r3h4-6jhm',
  reason: 'lodash.template is never called with user input',
  expires: '2027-01-31',
};

test('a report without advisories passes', () => {
  const result = evaluateAudit({ report: report('none.json'), allowlist: noList, now: NOW });
  expect(result).toMatchObject({ ok: true, failures: [], counted: 0 });
});

test('a high advisory fails, naming its id, package and link; a moderate one does not', () => {
  const result = evaluateAudit({ report: report('high.json'), allowlist: noList, now: NOW });
  expect(result.ok).toBe(false);
  expect(result.counted).toBe(2);
  expect(result.failures).toEqual([
    'high GHSA-35jh-r3h4-6jhm in lodash: Command Injection in lodash (https://github.com/advisories/GHSA-35jh-r3h4-6jhm)',
  ]);
});

test('an allowlisted high advisory passes, by GHSA id or by its advisory URL', () => {
  for (const id of [HIGH_ENTRY.id, 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm']) {
    const result = evaluateAudit({
      report: report('high.json'),
      allowlist: list([{ ...HIGH_ENTRY, id }]),
      now: NOW,
    });
    expect(result.ok).toBe(true);
    expect(result.allowed.map((a: { advisory: { id: string } }) => a.advisory.id)).toEqual([HIGH_ENTRY.id]);
  }
});

test('an expired allowlist entry fails the check, even when its advisory is gone', () => {
  const expired = list([{ ...HIGH_ENTRY, expires: '2026-12-01' }]);
  const withAdvisory = evaluateAudit({ report: report('high.json'), allowlist: expired, now: NOW });
  expect(withAdvisory.ok).toBe(false);
  expect(withAdvisory.failures[0]).toMatch(/GHSA-35jh-r3h4-6jhm expired on 2026-12-01/);
  expect(withAdvisory.failures[1]).toMatch(/^high GHSA-35jh-r3h4-6jhm/);
  const without = evaluateAudit({ report: report('none.json'), allowlist: expired, now: NOW });
  expect(without.ok).toBe(false);
  // The expiry day itself still counts as live.
  const lastDay = list([{ ...HIGH_ENTRY, expires: '2026-12-02' }]);
  expect(evaluateAudit({ report: report('high.json'), allowlist: lastDay, now: NOW }).ok).toBe(true);
});

test('allowlist entries without a reason or a date are errors, not ignored', () => {
  const parsed = list([
    { id: 'GHSA-xvch-5gv4-984h', expires: '2027-01-01' },
    { id: 'GHSA-xvch-5gv4-984h', reason: 'a good enough reason', expires: 'next month' },
    { reason: 'no id at all here', expires: '2027-01-01' },
  ]);
  expect(parsed.entries).toEqual([]);
  expect(parsed.errors).toHaveLength(3);
  expect(parseAllowlist('{').errors[0]).toMatch(/not JSON/);
  expect(parseAllowlist('[]').errors[0]).toMatch(/"entries" array/);
  expect(evaluateAudit({ report: report('none.json'), allowlist: parsed, now: NOW }).ok).toBe(false);
});

test("npm's v2 report shape is read too: a critical advisory fails", () => {
  const result = evaluateAudit({ report: report('critical-npm-v2.json'), allowlist: noList, now: NOW });
  expect(result.ok).toBe(false);
  expect(result.failures[0]).toMatch(/^critical GHSA-xvch-5gv4-984h in minimist/);
});

test('a report of an unknown shape is an error, never a pass', () => {
  expect(() => advisoriesOf({ hello: 'world' })).toThrow(/unknown format/);
  expect(() => advisoriesOf(null)).toThrow(/not a JSON object/);
});

test("the registry's refusal of the audit endpoint (recorded here: HTTP 405) is told apart from a network failure", () => {
  const refused = classifyAuditRun({ status: 1, stdout: '', stderr: fixture('refused-405.stderr.txt') });
  expect(refused).toMatchObject({ kind: 'refused', status: 405 });
  expect(refused.reason).toMatch(/ERR_PNPM_AUDIT_BAD_RESPONSE/);
  const down = classifyAuditRun({
    status: 1,
    stdout: '',
    stderr: 'ERR_PNPM_AUDIT_BAD_RESPONSE The audit endpoint responded with 503: Service Unavailable',
  });
  expect(down.kind).toBe('unreachable');
  const offline = classifyAuditRun({
    status: 1,
    stdout: '',
    stderr: 'request to https://registry.npmjs.org failed, reason: getaddrinfo ENOTFOUND registry.npmjs.org',
  });
  expect(offline.kind).toBe('unreachable');
  expect(classifyAuditRun({ status: 1, stdout: fixture('high.json'), stderr: '' }).kind).toBe('report');
});

function runScript(args: string[]) {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: result.status, lines: result.stdout.trim().split('\n') };
}

test('the command exits 0 on a clean report, 1 on a high one, 0 again once it is allowlisted, 1 once the entry expired', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'audit-'));
  const allowlist = path.join(dir, 'allowlist.json');
  writeFileSync(allowlist, JSON.stringify({ entries: [] }));
  const clean = runScript(['--report', path.join(FIXTURES, 'none.json'), '--allowlist', allowlist]);
  expect(clean).toMatchObject({ status: 0 });
  expect(clean.lines.at(-1)).toBe('audit: passed: 0 advisories, 0 blocking, 0 allowlisted');
  const high = runScript(['--report', path.join(FIXTURES, 'high.json'), '--allowlist', allowlist]);
  expect(high.status).toBe(1);
  expect(high.lines).toContain(
    'audit: FAIL high GHSA-35jh-r3h4-6jhm in lodash: Command Injection in lodash (https://github.com/advisories/GHSA-35jh-r3h4-6jhm)',
  );
  writeFileSync(allowlist, JSON.stringify({ entries: [{ ...HIGH_ENTRY, expires: '2999-01-01' }] }));
  expect(runScript(['--report', path.join(FIXTURES, 'high.json'), '--allowlist', allowlist]).status).toBe(0);
  writeFileSync(allowlist, JSON.stringify({ entries: [{ ...HIGH_ENTRY, expires: '2020-01-01' }] }));
  const expired = runScript(['--report', path.join(FIXTURES, 'none.json'), '--allowlist', allowlist]);
  expect(expired.status).toBe(1);
  expect(expired.lines[0]).toMatch(/expired on 2020-01-01/);
});

test('the committed allowlist is valid and has no expired entry', () => {
  const parsed = parseAllowlist(
    readFileSync(path.join(import.meta.dirname, '..', '.ci', 'audit-allowlist.json'), 'utf8'),
  );
  expect(parsed.errors).toEqual([]);
  const today = new Date().toISOString().slice(0, 10);
  expect(parsed.entries.filter((entry: { expires: string }) => entry.expires < today)).toEqual([]);
});
