import { createReadStream, promises as fs } from 'node:fs';
import readline from 'node:readline';
import { isLedgerError, type StoredEvent } from '@ledger/domain';
import { EventRejectedError, LevelEventLog, rawEventAccess } from '@ledger/event-log';
import { CommandFailed } from './cli-support';

/** What `import` wrote: the events of an export, their head hash, the store's id. */
export interface RawImportResult {
  readonly events: number;
  readonly headHash: string;
  readonly storeId: string;
}

/** Events per `importSealed` call (one LevelDB batch each). */
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

/** Parses one export line: a JSON object with the stored envelope's members. */
function parseExportLine(raw: string, line: number): StoredEvent {
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
  return event;
}

/** The event log's refusal of a batch, as the line of the export it came from. */
function asRejection(error: unknown, lines: readonly number[]): unknown {
  if (error instanceof EventRejectedError)
    return new ImportRejected('NOT_AN_EVENT', lines[error.index] ?? 0, error.message);
  for (const code of ['SEQUENCE_GAP', 'BAD_HASH', 'BAD_PREV'] as const) {
    if (isLedgerError(error, code)) {
      const index = Number(error.details?.['index'] ?? 0);
      return new ImportRejected(code, lines[index] ?? 0, error.message);
    }
  }
  return error;
}

/**
 * Writes the events of an NDJSON export into a NEW LevelDB store at
 * `location` (which must not hold one), through the event log's own
 * `importSealed`: every event keeps its seq, prev, hash and metadata, gets the
 * index entries the append path gives it, and is checked on the way (gapless
 * from 1, each hash recomputes, each prev links). The store takes the identity
 * its StoreCreated event records. On any failure the caller removes it.
 */
export async function importStoredEvents(file: string, location: string): Promise<RawImportResult> {
  const log = await LevelEventLog.open({ location, createIfMissing: true });
  let batch: StoredEvent[] = [];
  let lines: number[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const first = batch[0];
    const created =
      first?.seq === 1 && first.type === 'StoreCreated' ? (first.data as { storeId?: unknown }) : undefined;
    const identity =
      typeof created?.storeId === 'string' ? { storeId: created.storeId, createdAt: first?.time ?? '' } : undefined;
    try {
      await log.importSealed(batch, identity === undefined ? {} : { identity });
    } catch (error) {
      throw asRejection(error, lines);
    }
    batch = [];
    lines = [];
  };
  try {
    const input = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const rawLine of input) {
      lineNo += 1;
      const raw = rawLine.trim();
      if (raw === '') continue;
      let event: StoredEvent;
      try {
        event = parseExportLine(raw, lineNo);
      } catch (error) {
        // An earlier line's defect is reported first.
        await flush();
        throw error;
      }
      batch.push(event);
      lines.push(lineNo);
      if (batch.length >= BATCH_EVENTS) await flush();
    }
    await flush();
    if (log.headSeq() === 0) throw new ImportRejected('EMPTY', lineNo, 'the file holds no events');
  } finally {
    await log.close();
  }
  return { events: log.headSeq(), headHash: log.headHash(), storeId: log.metadata.storeId };
}

/**
 * Writes every stored event's value, exactly as stored, one per line — also a
 * damaged log's, past its head and across its gaps. Returns the count.
 */
export async function exportStoredEvents(
  log: LevelEventLog,
  out: string,
  onEvent?: (seq: number) => void,
): Promise<number> {
  const handle = await fs.open(out, 'wx');
  let count = 0;
  try {
    let chunk: string[] = [];
    for await (const { seq, text } of rawEventAccess(log).entries()) {
      chunk.push(text);
      count += 1;
      onEvent?.(seq);
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
