import { QmdlErrorCode, qmdlError } from './errors';

/** data_type of containers read from /dev/diag by a user-space client. */
export const DIAG_DATA_TYPE_USER_SPACE = 32;

/** A container as read from `/dev/diag`: u32 data_type, u32 num_messages, then {u32 len, data} each (little-endian). */
export interface DiagContainer {
  readonly dataType: number;
  /** Each message's data (HDLC frames). Shares memory with the parsed input. */
  readonly messages: readonly Buffer[];
}

/**
 * Parses one container; trailing bytes after the last message are ignored.
 * @throws LedgerError DIAG_CONTAINER_TRUNCATED
 */
export function parseDiagContainer(data: Buffer): DiagContainer {
  if (!Buffer.isBuffer(data)) throw new TypeError('parseDiagContainer: data must be a Buffer');
  const truncated = (what: string, details: Record<string, unknown>) =>
    qmdlError(QmdlErrorCode.DIAG_CONTAINER_TRUNCATED, `diag container truncated: ${what}`, {
      details: { length: data.length, ...details },
    });
  if (data.length < 8) throw truncated(`${data.length} bytes, the header needs 8`, {});
  const dataType = data.readUInt32LE(0);
  const count = data.readUInt32LE(4);
  // Each message needs at least its 4-byte length: reject absurd counts before allocating.
  if (count * 4 > data.length - 8)
    throw truncated(`${count} messages cannot fit in ${data.length} bytes`, { numMessages: count });
  const messages: Buffer[] = [];
  let at = 8;
  for (let i = 0; i < count; i++) {
    if (at + 4 > data.length) throw truncated(`message ${i} has no length`, { message: i, offset: at });
    const len = data.readUInt32LE(at);
    at += 4;
    if (at + len > data.length)
      throw truncated(`message ${i} declares ${len} bytes, ${data.length - at} remain`, { message: i, offset: at });
    messages.push(data.subarray(at, at + len));
    at += len;
  }
  return { dataType, messages };
}

/** Builds a container of `messages` (data_type defaults to 32, user space). */
export function buildDiagContainer(options: {
  readonly messages: readonly Buffer[];
  readonly dataType?: number;
}): Buffer {
  const { messages, dataType = DIAG_DATA_TYPE_USER_SPACE } = options;
  if (!Number.isInteger(dataType) || dataType < 0 || dataType > 0xffffffff)
    throw new TypeError('buildDiagContainer: dataType must be a u32');
  let total = 8;
  for (const m of messages) {
    if (!Buffer.isBuffer(m)) throw new TypeError('buildDiagContainer: messages must be Buffers');
    total += 4 + m.length;
  }
  const out = Buffer.allocUnsafe(total);
  out.writeUInt32LE(dataType, 0);
  out.writeUInt32LE(messages.length, 4);
  let at = 8;
  for (const m of messages) {
    out.writeUInt32LE(m.length, at);
    m.copy(out, at + 4);
    at += 4 + m.length;
  }
  return out;
}

/** The message data of a container back to back: the bytes a QMDL file stores for it. */
export function containerFrames(container: DiagContainer): Buffer {
  return Buffer.concat(container.messages as Buffer[]);
}
