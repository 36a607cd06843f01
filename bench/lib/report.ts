/**
 * Every benchmark prints a table for people, then as its LAST line one JSON object with all its
 * figures, for scripts (`npm run bench -- x | tail -1 | jq`).
 */
export type Cell = string | number | null | undefined;

function show(cell: Cell): string {
  if (cell === null || cell === undefined) return '-';
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : '-';
  return cell;
}

/** An aligned text table: numbers right-aligned, text left-aligned. */
export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => show(row[column]).length)),
  );
  const line = (cells: readonly Cell[], numeric: (column: number) => boolean) =>
    cells
      .map((cell, column) => {
        const text = show(cell);
        return numeric(column) ? text.padStart(widths[column]!) : text.padEnd(widths[column]!);
      })
      .join('  ')
      .trimEnd();
  const isNumeric = (column: number) => rows.some((row) => typeof row[column] === 'number');
  return [
    line(headers, isNumeric),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows.map((row) => line(row, isNumeric)),
  ].join('\n');
}

export function printTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): void {
  console.log(formatTable(headers, rows));
}

/** Prints the figures as one JSON line; call it last. */
export function printFigures(figures: Record<string, unknown>): void {
  console.log(JSON.stringify(figures));
}

/** The table, a blank line, then the JSON line last. */
export function printReport(options: {
  title?: string;
  headers: readonly string[];
  rows: readonly (readonly Cell[])[];
  figures: Record<string, unknown>;
}): void {
  if (options.title) console.log(options.title);
  printTable(options.headers, options.rows);
  console.log('');
  printFigures(options.figures);
}

/** A bench's progress lines, `[bench name] ...` on stderr: stdout keeps only the report. */
export function progressLog(bench: string): (line: string) => void {
  return (line) => {
    process.stderr.write(`[bench ${bench}] ${line}\n`);
  };
}
