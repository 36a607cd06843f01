import { crc32 } from 'node:zlib';

/**
 * A streamed, store-only ZIP (no compression: course files are video and PDF, already
 * compressed), written as it is read, with sizes known in advance so that the response has a
 * Content-Length. Each entry's CRC-32 is computed on the way and written in a data descriptor
 * after its bytes (general purpose bit 3). ZIP64 records are used for an entry, or an archive,
 * past 4 GiB. Names are UTF-8 (bit 11).
 */

export interface ZipEntry {
  /** The name inside the archive (POSIX separators). */
  name: string;
  size: number;
  mtime: Date;
}

export interface ZipOptions {
  /** ZIP64 records for every entry and the end, whatever the sizes (for tests of that path). */
  forceZip64?: boolean;
}

const MAX32 = 0xffff_ffff;
const MAX16 = 0xffff;
const FLAGS = 0x0008 | 0x0800;
// Made by Unix (3), spec 4.5: external attributes are a Unix mode (a regular file, rw-r--r--).
const MADE_BY = (3 << 8) | 45;
const FILE_MODE = (0o100644 << 16) >>> 0;

interface Placed extends ZipEntry {
  nameBytes: Buffer;
  offset: number;
  zip64: boolean;
}

export interface ZipLayout {
  entries: Placed[];
  centralOffset: number;
  centralSize: number;
  zip64End: boolean;
  /** The archive's exact length in bytes. */
  size: number;
}

const localHeaderLength = (e: Placed) => 30 + e.nameBytes.length + (e.zip64 ? 20 : 0);
const descriptorLength = (e: Placed) => (e.zip64 ? 24 : 16);
const centralLength = (e: Placed) => 46 + e.nameBytes.length + (e.zip64 ? 28 : 0);

/** Where every record goes, and the archive's length, before a byte is read. */
export function zipLayout(entries: readonly ZipEntry[], options: ZipOptions = {}): ZipLayout {
  const placed: Placed[] = [];
  let offset = 0;
  for (const entry of entries) {
    const nameBytes = Buffer.from(entry.name, 'utf8');
    if (nameBytes.length > MAX16) throw new Error(`zip entry name too long: ${entry.name.slice(0, 80)}`);
    const zip64 = Boolean(options.forceZip64) || entry.size >= MAX32 || offset >= MAX32;
    const item: Placed = { ...entry, nameBytes, offset, zip64 };
    placed.push(item);
    offset += localHeaderLength(item) + entry.size + descriptorLength(item);
  }
  const centralSize = placed.reduce((sum, e) => sum + centralLength(e), 0);
  const zip64End =
    Boolean(options.forceZip64) || placed.length >= MAX16 || offset >= MAX32 || centralSize >= MAX32;
  const size = offset + centralSize + (zip64End ? 56 + 20 : 0) + 22;
  return { entries: placed, centralOffset: offset, centralSize, zip64End, size };
}

/** MS-DOS date and time (UTC; 2-second resolution; 1980 at the earliest). */
function dosDateTime(date: Date): { time: number; date: number } {
  const d = date.getUTCFullYear() < 1980 ? new Date(Date.UTC(1980, 0, 1)) : date;
  return {
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | Math.floor(d.getUTCSeconds() / 2),
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
  };
}

function localHeader(e: Placed): Buffer {
  const buffer = Buffer.alloc(localHeaderLength(e));
  const { time, date } = dosDateTime(e.mtime);
  buffer.writeUInt32LE(0x04034b50, 0);
  buffer.writeUInt16LE(e.zip64 ? 45 : 20, 4);
  buffer.writeUInt16LE(FLAGS, 6);
  buffer.writeUInt16LE(0, 8); // stored
  buffer.writeUInt16LE(time, 10);
  buffer.writeUInt16LE(date, 12);
  // CRC and sizes follow in the data descriptor; with ZIP64 the sizes say "see the extra field".
  buffer.writeUInt32LE(0, 14);
  buffer.writeUInt32LE(e.zip64 ? MAX32 : 0, 18);
  buffer.writeUInt32LE(e.zip64 ? MAX32 : 0, 22);
  buffer.writeUInt16LE(e.nameBytes.length, 26);
  buffer.writeUInt16LE(e.zip64 ? 20 : 0, 28);
  e.nameBytes.copy(buffer, 30);
  if (e.zip64) {
    const at = 30 + e.nameBytes.length;
    buffer.writeUInt16LE(0x0001, at);
    buffer.writeUInt16LE(16, at + 2);
    // Both sizes zero here: they are in the descriptor.
  }
  return buffer;
}

function dataDescriptor(e: Placed, crc: number): Buffer {
  const buffer = Buffer.alloc(descriptorLength(e));
  buffer.writeUInt32LE(0x08074b50, 0);
  buffer.writeUInt32LE(crc, 4);
  if (e.zip64) {
    buffer.writeBigUInt64LE(BigInt(e.size), 8);
    buffer.writeBigUInt64LE(BigInt(e.size), 16);
  } else {
    buffer.writeUInt32LE(e.size, 8);
    buffer.writeUInt32LE(e.size, 12);
  }
  return buffer;
}

function centralHeader(e: Placed, crc: number): Buffer {
  const buffer = Buffer.alloc(centralLength(e));
  const { time, date } = dosDateTime(e.mtime);
  buffer.writeUInt32LE(0x02014b50, 0);
  buffer.writeUInt16LE(MADE_BY, 4);
  buffer.writeUInt16LE(e.zip64 ? 45 : 20, 6);
  buffer.writeUInt16LE(FLAGS, 8);
  buffer.writeUInt16LE(0, 10);
  buffer.writeUInt16LE(time, 12);
  buffer.writeUInt16LE(date, 14);
  buffer.writeUInt32LE(crc, 16);
  buffer.writeUInt32LE(e.zip64 ? MAX32 : e.size, 20);
  buffer.writeUInt32LE(e.zip64 ? MAX32 : e.size, 24);
  buffer.writeUInt16LE(e.nameBytes.length, 28);
  buffer.writeUInt16LE(e.zip64 ? 28 : 0, 30);
  buffer.writeUInt16LE(0, 32); // comment
  buffer.writeUInt16LE(0, 34); // disk
  buffer.writeUInt16LE(0, 36); // internal attributes
  buffer.writeUInt32LE(FILE_MODE, 38);
  buffer.writeUInt32LE(e.zip64 ? MAX32 : e.offset, 42);
  e.nameBytes.copy(buffer, 46);
  if (e.zip64) {
    // The fields set to 0xFFFFFFFF above, in the order the spec gives: sizes, then the offset.
    const at = 46 + e.nameBytes.length;
    buffer.writeUInt16LE(0x0001, at);
    buffer.writeUInt16LE(24, at + 2);
    buffer.writeBigUInt64LE(BigInt(e.size), at + 4);
    buffer.writeBigUInt64LE(BigInt(e.size), at + 12);
    buffer.writeBigUInt64LE(BigInt(e.offset), at + 20);
  }
  return buffer;
}

function endRecords(layout: ZipLayout): Buffer {
  const count = layout.entries.length;
  const parts: Buffer[] = [];
  if (layout.zip64End) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(MADE_BY, 12);
    record.writeUInt16LE(45, 14);
    record.writeUInt32LE(0, 16);
    record.writeUInt32LE(0, 20);
    record.writeBigUInt64LE(BigInt(count), 24);
    record.writeBigUInt64LE(BigInt(count), 32);
    record.writeBigUInt64LE(BigInt(layout.centralSize), 40);
    record.writeBigUInt64LE(BigInt(layout.centralOffset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeUInt32LE(0, 4);
    locator.writeBigUInt64LE(BigInt(layout.centralOffset + layout.centralSize), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(0, 4);
  end.writeUInt16LE(0, 6);
  end.writeUInt16LE(layout.zip64End ? MAX16 : count, 8);
  end.writeUInt16LE(layout.zip64End ? MAX16 : count, 10);
  end.writeUInt32LE(layout.zip64End ? MAX32 : layout.centralSize, 12);
  end.writeUInt32LE(layout.zip64End ? MAX32 : layout.centralOffset, 16);
  end.writeUInt16LE(0, 20);
  parts.push(end);
  return Buffer.concat(parts);
}

/**
 * The archive's bytes, entry by entry: `read(i)` gives entry i's content. A content whose length
 * is not the size the layout was made with throws (the Content-Length would be a lie).
 */
export async function* zipChunks(
  layout: ZipLayout,
  read: (index: number) => AsyncIterable<Buffer>,
): AsyncGenerator<Buffer> {
  const crcs: number[] = [];
  for (const [index, entry] of layout.entries.entries()) {
    yield localHeader(entry);
    let crc = 0;
    let length = 0;
    for await (const chunk of read(index)) {
      crc = crc32(chunk, crc);
      length += chunk.length;
      if (length > entry.size) break;
      yield chunk;
    }
    if (length !== entry.size) {
      throw new Error(`${entry.name}: ${length} bytes read, ${entry.size} expected`);
    }
    crcs.push(crc);
    yield dataDescriptor(entry, crc);
  }
  yield Buffer.concat(layout.entries.map((entry, index) => centralHeader(entry, crcs[index]!)));
  yield endRecords(layout);
}
