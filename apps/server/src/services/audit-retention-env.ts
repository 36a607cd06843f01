import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

// The repo root: a relative ARCHIVE_DIR means the same from every process.
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

/** The audit retention job's settings (decision 055), spread into the server's Env. */
export const AuditRetentionEnv = {
  /** Audit rows older than this many days are archived, then deleted. Unset: keep everything. */
  AUDIT_RETENTION_DAYS: z.preprocess(unsetWhenEmpty, z.coerce.number().positive().max(36_500).optional()),
  /** Where the archive files go (gzip NDJSON). Relative paths are from the repo root. */
  ARCHIVE_DIR: z
    .string()
    .min(1)
    .default('.paidflow/audit-archive')
    .transform((value) => path.resolve(ROOT, value)),
  /** How often a server looks for rows to archive (one server at a time archives). */
  AUDIT_ARCHIVE_INTERVAL_MS: z.coerce.number().int().min(1000).default(3_600_000),
  /** Rows per read and per DELETE: each delete is one short transaction over a primary key range. */
  AUDIT_ARCHIVE_BATCH: z.coerce.number().int().min(10).max(10_000).default(1000),
  /** The pause between two deletes, so that the live writers always get in between. */
  AUDIT_ARCHIVE_PAUSE_MS: z.coerce.number().int().min(0).max(10_000).default(20),
  /** Rows per archive file at most; a run writes as many files as it needs. */
  AUDIT_ARCHIVE_FILE_ROWS: z.coerce.number().int().min(100).max(10_000_000).default(100_000),
};
