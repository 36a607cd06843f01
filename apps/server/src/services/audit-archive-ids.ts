import { createReadStream } from 'node:fs';
import { createGunzip } from 'node:zlib';

/**
 * The ids written to one archive file, as runs of consecutive ids ([first, last] each): the rows
 * are read in id order, so a file of 100,000 rows is a handful of runs. Only these rows are
 * deleted with the archive (decision 055).
 */
export class IdRuns {
  readonly runs: Array<[number, number]> = [];
  count = 0;

  add(id: number): void {
    const last = this.runs.at(-1);
    if (last && id === last[1] + 1) last[1] = id;
    else if (last && id <= last[1]) throw new Error(`archive ids out of order: ${id} after ${last[1]}`);
    else this.runs.push([id, id]);
    this.count += 1;
  }

  /** The ids in order, `size` at a time. */
  *batches(size: number): Generator<number[]> {
    let batch: number[] = [];
    for (const [first, last] of this.runs) {
      for (let id = first; id <= last; id++) {
        batch.push(id);
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
    }
    if (batch.length > 0) yield batch;
  }
}

/** Each line starts with the row's id (the first column); anything else is parsed in full. */
const LEADING_ID = /^\{"id":(\d+)[,}]/;

/** Reads back the ids an archive file holds (to finish the delete of a stopped run). */
export async function readArchiveIds(file: string): Promise<IdRuns> {
  const ids = new IdRuns();
  const source = createReadStream(file);
  const gunzip = createGunzip();
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  gunzip.setEncoding('utf8');
  const take = (line: string) => {
    if (line === '') return;
    const id = LEADING_ID.exec(line)?.[1] ?? (JSON.parse(line) as { id?: unknown }).id;
    if (typeof id !== 'string' && typeof id !== 'number') throw new Error(`${file}: a line without an id`);
    ids.add(Number(id));
  };
  let rest = '';
  try {
    for await (const chunk of gunzip) {
      const lines = (rest + (chunk as string)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) take(line);
    }
    take(rest);
  } finally {
    source.destroy();
  }
  return ids;
}
