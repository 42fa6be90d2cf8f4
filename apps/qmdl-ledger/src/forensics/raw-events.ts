import { createReadStream, promises as fs } from 'node:fs';
import readline from 'node:readline';
import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import {
  encodeSequenceKey,
  hashEvent,
  indexEntries,
  indexKey,
  LevelEventLog,
  META_KEYS,
  STORE_FORMAT_VERSION,
  SUBLEVELS,
} from '@ledger/event-log';
import { CommandFailed } from './cli-support';

/**
 * The raw import path the event log does not have: stored events are written
 * as they are — the exact stored JSON, so `seq`, `prev`, `hash` and metadata
 * are preserved byte for byte — with the index entries (`indexEntries`, the
 * append path's own) and head pointer the append path would have written (libs/event-log README "Key layout"). Every
 * event is checked before it is written: gapless from 1, its hash recomputes
 * over its canonical encoding, `prev` links to the previous hash.
 */
export interface RawImportResult {
  readonly events: number;
  readonly headHash: string;
  readonly storeId: string;
}

/** Batches of this many events per LevelDB write. */
const BATCH_EVENTS = 500;

/** What an export line failed on (stable codes, README). */
export type ImportFailureCode = 'NOT_JSON' | 'NOT_AN_EVENT' | 'SEQUENCE_GAP' | 'BAD_HASH' | 'BAD_PREV' | 'EMPTY';

export class ImportRejected extends CommandFailed {
  constructor(
    readonly code: ImportFailureCode,
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message} (${code})`);
  }
}

/** Parses and checks one export line against the previous event's seq and hash. */
export function checkExportLine(raw: string, line: number, expectedSeq: number, prevHash: string): StoredEvent {
  let event: StoredEvent;
  try {
    event = JSON.parse(raw) as StoredEvent;
  } catch {
    throw new ImportRejected('NOT_JSON', line, 'not valid JSON');
  }
  if (
    event === null ||
    typeof event !== 'object' ||
    typeof event.seq !== 'number' ||
    typeof event.hash !== 'string' ||
    typeof event.prev !== 'string' ||
    typeof event.type !== 'string' ||
    typeof event.time !== 'string' ||
    event.metadata === null ||
    typeof event.metadata !== 'object'
  ) {
    throw new ImportRejected('NOT_AN_EVENT', line, 'not a stored event envelope');
  }
  if (event.seq !== expectedSeq)
    throw new ImportRejected('SEQUENCE_GAP', line, `expected seq ${expectedSeq}, found ${event.seq}`);
  if (hashEvent(event) !== event.hash)
    throw new ImportRejected('BAD_HASH', line, `event ${event.seq} does not match its hash`);
  if (event.prev !== prevHash)
    throw new ImportRejected(
      'BAD_PREV',
      line,
      `event ${event.seq} does not link to the hash of event ${event.seq - 1}`,
    );
  return event;
}

type Op = { type: 'put'; sublevel: unknown; key: string; value: string };

/**
 * Writes the events of an NDJSON export into a NEW LevelDB store at
 * `location` (which must not hold one). On any failure the caller removes it.
 */
export async function importStoredEvents(file: string, location: string): Promise<RawImportResult> {
  const log = await LevelEventLog.open({ location, createIfMissing: true });
  const db = log.db;
  const sub = (name: string): unknown =>
    db.sublevel<string, string>(name, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
  const events = sub(SUBLEVELS.events);
  const meta = sub(SUBLEVELS.meta);
  const indexes = new Map<string, unknown>();
  for (const name of [
    SUBLEVELS.byType,
    SUBLEVELS.byRecording,
    SUBLEVELS.byActor,
    SUBLEVELS.byCorrelation,
    SUBLEVELS.byTime,
  ])
    indexes.set(name, sub(name));
  let seq = 0;
  let hash = GENESIS_HASH;
  let storeId = log.metadata.storeId;
  let createdAt = log.metadata.createdAt;
  let ops: Op[] = [];
  let pending = 0;
  const flush = async (): Promise<void> => {
    if (ops.length === 0) return;
    await db.batch(ops as never, { sync: false } as never);
    ops = [];
    pending = 0;
  };
  try {
    const lines = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const rawLine of lines) {
      lineNo += 1;
      const raw = rawLine.trim();
      if (raw === '') continue;
      const event = checkExportLine(raw, lineNo, seq + 1, hash);
      if (event.seq === 1 && event.type === 'StoreCreated') {
        const data = event.data as { storeId?: unknown };
        if (typeof data.storeId === 'string') storeId = data.storeId;
        createdAt = event.time;
      }
      ops.push({ type: 'put', sublevel: events, key: encodeSequenceKey(event.seq), value: raw });
      for (const [index, value] of indexEntries(event))
        ops.push({ type: 'put', sublevel: indexes.get(index), key: indexKey(value, event.seq), value: '' });
      seq = event.seq;
      hash = event.hash;
      if (++pending >= BATCH_EVENTS) await flush();
    }
    if (seq === 0) throw new ImportRejected('EMPTY', lineNo, 'the file holds no events');
    await flush();
    // The head and the store identity last: until they are written the store reads as empty.
    await db.batch(
      [
        {
          type: 'put',
          sublevel: meta,
          key: META_KEYS.store,
          value: JSON.stringify({ storeId, createdAt, formatVersion: STORE_FORMAT_VERSION }),
        },
        { type: 'put', sublevel: meta, key: META_KEYS.head, value: JSON.stringify({ seq, hash }) },
      ] as never,
      { sync: true } as never,
    );
  } finally {
    await log.close();
  }
  return { events: seq, headHash: hash, storeId };
}

/** Writes every stored event's value, exactly as stored, one per line. Returns the count. */
export async function exportStoredEvents(
  log: LevelEventLog,
  out: string,
  onEvent?: (seq: number) => void,
): Promise<number> {
  const handle = await fs.open(out, 'wx');
  let count = 0;
  try {
    const events = log.db.sublevel<string, string>(SUBLEVELS.events, { keyEncoding: 'utf8', valueEncoding: 'utf8' });
    let chunk: string[] = [];
    for await (const [key, value] of events.iterator()) {
      chunk.push(value);
      count += 1;
      onEvent?.(Number.parseInt(key, 16));
      if (chunk.length >= 256) {
        await handle.write(`${chunk.join('\n')}\n`);
        chunk = [];
      }
    }
    if (chunk.length > 0) await handle.write(`${chunk.join('\n')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return count;
}
