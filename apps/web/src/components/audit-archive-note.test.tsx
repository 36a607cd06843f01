// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, expect, test } from 'vitest';
import { AuditArchiveNoteView } from './audit-archive-note.tsx';

afterEach(cleanup);

test('an order with archived events says how many are archived and in which files', () => {
  const day = (d: number) => new Date(Date.UTC(2026, 0, d, 8));
  render(
    <AuditArchiveNoteView
      archives={{
        events: 1234,
        oldestAt: day(2),
        newestAt: day(20),
        files: [
          {
            file: '/srv/archive/audit-2.ndjson.gz',
            events: 34,
            oldestAt: day(15),
            newestAt: day(20),
            archivedAt: day(28),
          },
          {
            file: '/srv/archive/audit-1.ndjson.gz',
            events: 1200,
            oldestAt: day(2),
            newestAt: day(14),
            archivedAt: day(21),
          },
        ],
      }}
    />,
  );
  const note = screen.getByRole('complementary', { name: 'Archived audit events' });
  expect(note.textContent).toMatch(/1,234 older events are archived/);
  expect(screen.getByText('/srv/archive/audit-1.ndjson.gz')).toBeTruthy();
  expect(screen.getByText('/srv/archive/audit-2.ndjson.gz')).toBeTruthy();
});

test('an order with nothing archived shows no note', () => {
  const { container } = render(
    <AuditArchiveNoteView archives={{ events: 0, oldestAt: null, newestAt: null, files: [] }} />,
  );
  expect(container.textContent).toBe('');
});
