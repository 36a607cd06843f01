#!/usr/bin/env node
// `npm run audit`: `pnpm audit --prod --json`, judged against the committed allowlist
// (.ci/audit-allowlist.json). Plain Node, no dependencies: CI runs it before anything is installed.
//
// Exit codes: 0 pass; 1 a high or critical advisory that no live allowlist entry covers, an expired
// or malformed allowlist entry, or a report we cannot read; 2 the audit endpoint could not be reached
// (network errors, 5xx) after retries. A registry that answers but refuses the audit endpoint (4xx:
// a mirror without the audit API) is "not run": loud warning, exit 0, or 2 with --strict /
// AUDIT_STRICT=1. Decision 055 has the reasons.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ALLOWLIST_FILE = path.join(ROOT, '.ci', 'audit-allowlist.json');
const FAILING = new Set(['high', 'critical']);
const RETRY_DELAYS_MS = [2_000, 5_000];

/**
 * @typedef {{ id: string, module: string, severity: string, title: string, url: string | null, aliases: string[] }} Advisory
 * @typedef {{ id: string, reason: string, expires: string, package?: string }} AllowEntry
 */

/**
 * The advisories of a `pnpm audit --json` report: the classic shape (`advisories` keyed by id, as
 * pnpm prints it) and npm's v2 shape (`vulnerabilities` by package, `via` objects).
 * @returns {Advisory[]}
 */
export function advisoriesOf(report) {
  if (!report || typeof report !== 'object') throw new Error('the audit report is not a JSON object');
  if (report.advisories && typeof report.advisories === 'object') {
    return Object.values(report.advisories).map((a) => {
      const ghsa = a.github_advisory_id ?? ghsaOf(a.url);
      return {
        id: ghsa ?? String(a.id),
        module: String(a.module_name ?? '?'),
        severity: String(a.severity ?? 'unknown').toLowerCase(),
        title: String(a.title ?? ''),
        url: a.url ?? null,
        aliases: [String(a.id), ghsa, a.url, ...(a.cves ?? [])].filter(Boolean),
      };
    });
  }
  if (report.vulnerabilities && typeof report.vulnerabilities === 'object') {
    const found = new Map();
    for (const [name, entry] of Object.entries(report.vulnerabilities)) {
      for (const via of entry.via ?? []) {
        if (typeof via !== 'object') continue;
        const ghsa = ghsaOf(via.url);
        const id = ghsa ?? String(via.source);
        found.set(id, {
          id,
          module: String(via.name ?? name),
          severity: String(via.severity ?? entry.severity ?? 'unknown').toLowerCase(),
          title: String(via.title ?? ''),
          url: via.url ?? null,
          aliases: [String(via.source), ghsa, via.url].filter(Boolean),
        });
      }
    }
    return [...found.values()];
  }
  if (report.metadata?.vulnerabilities) return [];
  throw new Error('the audit report has neither "advisories" nor "vulnerabilities": unknown format');
}

function ghsaOf(url) {
  return typeof url === 'string' ? (url.match(/GHSA(-[23456789cfghjmpqrvwx]{4}){3}/i)?.[0] ?? null) : null;
}

/**
 * Reads the allowlist: `{ "entries": [{ "id": "GHSA-…" | advisory URL, "reason", "expires":
 * "YYYY-MM-DD", "package"? }] }`. Every entry needs all three; a bad one is an error, not ignored.
 * @returns {{ entries: AllowEntry[], errors: string[] }}
 */
export function parseAllowlist(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { entries: [], errors: [`the allowlist is not JSON: ${error.message}`] };
  }
  if (!data || !Array.isArray(data.entries))
    return { entries: [], errors: ['the allowlist needs an "entries" array'] };
  const errors = [];
  const entries = [];
  data.entries.forEach((entry, index) => {
    const where = `allowlist entry ${index + 1}${entry?.id ? ` (${entry.id})` : ''}`;
    if (!entry || typeof entry.id !== 'string' || entry.id.trim() === '')
      errors.push(`${where}: "id" is missing`);
    else if (typeof entry.reason !== 'string' || entry.reason.trim().length < 10)
      errors.push(`${where}: "reason" must say why (10+ characters)`);
    else if (
      typeof entry.expires !== 'string' ||
      !/^\d{4}-\d{2}-\d{2}$/.test(entry.expires) ||
      Number.isNaN(Date.parse(entry.expires))
    )
      errors.push(`${where}: "expires" must be a date, YYYY-MM-DD`);
    else entries.push(entry);
  });
  return { entries, errors };
}

/** The id an allowlist entry names, in the form advisories are matched on. */
function normalize(id) {
  return ghsaOf(id)?.toUpperCase() ?? id.trim().toUpperCase();
}

/**
 * Judges a report: high and critical advisories fail unless a live allowlist entry names them;
 * an entry past its expiry date fails whether or not it still matches anything.
 * @param {{ report: unknown, allowlist: { entries: AllowEntry[], errors: string[] }, now?: Date }} input
 */
export function evaluateAudit({ report, allowlist, now = new Date() }) {
  const today = now.toISOString().slice(0, 10);
  const failures = [...allowlist.errors];
  const live = new Map();
  for (const entry of allowlist.entries) {
    if (entry.expires < today)
      failures.push(
        `allowlist entry ${entry.id} expired on ${entry.expires}: fix or review it (${entry.reason})`,
      );
    else live.set(normalize(entry.id), entry);
  }
  const advisories = advisoriesOf(report);
  const allowed = [];
  const blocking = [];
  for (const advisory of advisories) {
    if (!FAILING.has(advisory.severity)) continue;
    const entry = advisory.aliases
      .map(normalize)
      .map((alias) => live.get(alias))
      .find(Boolean);
    if (entry) allowed.push({ advisory, entry });
    else blocking.push(advisory);
  }
  for (const a of blocking)
    failures.push(`${a.severity} ${a.id} in ${a.module}: ${a.title}${a.url ? ` (${a.url})` : ''}`);
  return { ok: failures.length === 0, failures, allowed, counted: advisories.length, blocking };
}

/**
 * What a finished `pnpm audit --prod --json` says: a report (pnpm exits 1 when it finds
 * advisories, with the report on stdout), or that the endpoint was unavailable: `refused` when the
 * registry answered 4xx (it has no audit API), `unreachable` for network errors and 5xx.
 * @param {{ status: number | null, stdout: string, stderr: string, error?: Error }} run
 */
export function classifyAuditRun(run) {
  const output = `${run.stderr}\n${run.stdout}`;
  if (run.error) return { kind: 'unreachable', reason: run.error.message };
  const text = run.stdout.trim();
  if (text.startsWith('{')) {
    try {
      const report = JSON.parse(text);
      if (report.error)
        return unavailable(
          `${report.error.code ?? ''} ${report.error.summary ?? report.error.message ?? ''}`,
        );
      return { kind: 'report', report };
    } catch {
      // not JSON after all: judged from the error text below
    }
  }
  return unavailable(
    output.trim().split('\n').filter(Boolean).slice(0, 3).join(' ') || `pnpm exited ${run.status}`,
  );
}

function unavailable(reason) {
  const status = Number(
    reason.match(/responded with (\d{3})/)?.[1] ?? reason.match(/\b(4\d\d|5\d\d)\b/)?.[1] ?? 0,
  );
  const refused = (status >= 400 && status < 500) || /ENDPOINT_NOT_EXISTS/.test(reason);
  return { kind: refused ? 'refused' : 'unreachable', reason: reason.replace(/\s+/g, ' ').trim(), status };
}

function runPnpmAudit() {
  const args = ['audit', '--prod', '--json'];
  let run = spawnSync('pnpm', args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  // A machine without pnpm yet (CI runs this before `npm test` bootstraps it).
  if (run.error?.code === 'ENOENT')
    run = spawnSync('npx', ['--yes', 'pnpm@12.4.2', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000,
    });
  return { status: run.status, stdout: run.stdout ?? '', stderr: run.stderr ?? '', error: run.error };
}

function optionValue(name) {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
}

function main() {
  const strict = process.argv.includes('--strict') || process.env.AUDIT_STRICT === '1';
  // --report FILE judges a recorded `pnpm audit --json` output (tests); --allowlist FILE another list.
  const reportFile = optionValue('--report');
  const allowlistFile = optionValue('--allowlist') ?? ALLOWLIST_FILE;
  const allowlist = existsSync(allowlistFile)
    ? parseAllowlist(readFileSync(allowlistFile, 'utf8'))
    : { entries: [], errors: [] };
  const audit = reportFile
    ? () => ({ status: 1, stdout: readFileSync(reportFile, 'utf8'), stderr: '' })
    : runPnpmAudit;
  let outcome = classifyAuditRun(audit());
  for (const delay of RETRY_DELAYS_MS) {
    if (outcome.kind !== 'unreachable') break;
    console.log(`audit: endpoint unreachable (${outcome.reason}); retrying in ${delay / 1000} s`);
    spawnSync('sleep', [String(delay / 1000)]);
    outcome = classifyAuditRun(audit());
  }
  // Allowlist problems fail even when no report could be had: an expired entry must be seen.
  const listCheck = evaluateAudit({ report: { metadata: { vulnerabilities: {} } }, allowlist });
  if (outcome.kind !== 'report') {
    for (const failure of listCheck.failures) console.log(`audit: FAIL ${failure}`);
    if (!listCheck.ok) return 1;
    if (outcome.kind === 'unreachable') {
      console.log(`audit: FAIL the audit endpoint could not be reached: ${outcome.reason}`);
      return 2;
    }
    console.log(
      `audit: NOT RUN: the registry refused the audit endpoint (${outcome.reason}); no advisory was checked`,
    );
    return strict ? 2 : 0;
  }
  let result;
  try {
    result = evaluateAudit({ report: outcome.report, allowlist });
  } catch (error) {
    console.log(`audit: FAIL ${error.message}`);
    return 1;
  }
  for (const { advisory, entry } of result.allowed) {
    console.log(
      `audit: allowed ${advisory.severity} ${advisory.id} in ${advisory.module} until ${entry.expires}: ${entry.reason}`,
    );
  }
  for (const failure of result.failures) console.log(`audit: FAIL ${failure}`);
  console.log(
    `audit: ${result.ok ? 'passed' : 'failed'}: ${result.counted} advisories, ${result.blocking.length} blocking, ${result.allowed.length} allowlisted`,
  );
  return result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main();
