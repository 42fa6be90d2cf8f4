import { mulberry32 } from '@ledger/domain';
import { buildDiagContainer } from './diag-container';
import {
  LOG_CODE_LTE_RRC_OTA,
  buildDiagLogMessage,
  buildLteRrcOtaBody,
  diagTimestampToEpochMs,
  epochMsToDiagTimestamp,
} from './diag-message';
import { encodeHdlcFrame } from './hdlc';

export interface SyntheticOptions {
  readonly seed?: number;
  /** Time of the first message, unix ms (default 2024-01-01T00:00Z, so output is deterministic). */
  readonly startTimeMs?: number;
  /** Messages per second of capture time (default 50). 0 = timestamps 0.05 ms apart. */
  readonly rateMessagesPerSecond?: number;
  /** Most messages in one container (default 6; each container holds 1..max). */
  readonly maxMessagesPerContainer?: number;
}

/** One generated container: the /dev/diag container and the QMDL bytes it stands for. */
export interface SyntheticContainer {
  /** The /dev/diag container (u32 data_type 32, u32 count, {u32 len, frame}…). */
  readonly container: Buffer;
  /** Its HDLC frames back to back: what a QMDL file stores. */
  readonly frames: Buffer;
  readonly frameCount: number;
  readonly firstMessageTimeMs: number;
  readonly lastMessageTimeMs: number;
}

// pdu_num values a real modem logs for LTE RRC (1 BCCH-BCH, 2 BCCH-DL-SCH, 4 PCCH, 5 DL-CCCH, 6 DL-DCCH, 7 UL-CCCH, 8 UL-DCCH, 9 …).
const PDU_NUMS = [1, 2, 4, 5, 6, 7, 8, 9] as const;
const EARFCNS = [66486, 2050, 5230, 1300, 850, 9820] as const;
const DEFAULT_START_MS = Date.UTC(2024, 0, 1);

/**
 * Deterministic generator of realistic LTE RRC OTA diag log frames: same options,
 * same bytes. Payloads are 20–400 bytes, built from a few per-seed templates with
 * random edits (so they compress like real ASN.1), and some carry 0x7E/0x7D bytes.
 *
 * @example
 * const gen = new SyntheticDiagGenerator({ seed: 7 });
 * const { frames } = gen.nextContainer();
 */
export class SyntheticDiagGenerator {
  private readonly random: () => number;
  private readonly templates: Buffer[];
  private readonly intervalMs: number;
  private readonly maxPerContainer: number;
  private readonly startTimeMs: number;
  private readonly cells: Array<{ pci: number; earfcn: number }>;
  private index = 0;

  constructor(options: SyntheticOptions = {}) {
    const {
      seed = 1,
      startTimeMs = DEFAULT_START_MS,
      rateMessagesPerSecond = 50,
      maxMessagesPerContainer = 6,
    } = options;
    if (!Number.isFinite(seed)) throw new TypeError('SyntheticDiagGenerator: seed must be a finite number');
    if (!Number.isFinite(rateMessagesPerSecond) || rateMessagesPerSecond < 0)
      throw new TypeError('SyntheticDiagGenerator: rate must be >= 0');
    if (!Number.isInteger(maxMessagesPerContainer) || maxMessagesPerContainer < 1)
      throw new TypeError('SyntheticDiagGenerator: maxMessagesPerContainer must be >= 1');
    if (!Number.isFinite(startTimeMs)) throw new TypeError('SyntheticDiagGenerator: startTimeMs must be finite');
    this.random = mulberry32(seed);
    this.intervalMs = rateMessagesPerSecond > 0 ? 1000 / rateMessagesPerSecond : 0.05;
    this.maxPerContainer = maxMessagesPerContainer;
    this.startTimeMs = startTimeMs;
    this.templates = [];
    for (let t = 0; t < 12; t++) {
      const template = Buffer.alloc(400);
      // Sparse, zero-heavy like UPER-encoded RRC messages.
      for (let i = 0; i < template.length; i++) template[i] = this.random() < 0.45 ? this.int(256) : 0;
      this.templates.push(template);
    }
    this.cells = [];
    for (let c = 0; c < 4; c++)
      this.cells.push({ pci: this.int(504), earfcn: EARFCNS[this.int(EARFCNS.length)] as number });
  }

  /** Messages generated so far. */
  get messageCount(): number {
    return this.index;
  }

  /** Capture time of the next message (unix ms). */
  get nextMessageTimeMs(): number {
    return this.startTimeMs + this.index * this.intervalMs;
  }

  /** The next message as one HDLC frame, with its time as a parser will read it (unix ms). */
  nextFrame(): { frame: Buffer; timeMs: number } {
    const timestamp = epochMsToDiagTimestamp(this.nextMessageTimeMs);
    const timeMs = diagTimestampToEpochMs(timestamp);
    this.index++;
    const length = 20 + this.int(381);
    const payload = Buffer.from(this.templates[this.int(this.templates.length)] as Buffer).subarray(0, length);
    const edits = 1 + this.int(Math.max(1, length >> 3));
    for (let e = 0; e < edits; e++) payload[this.int(length)] = this.int(256);
    if (this.random() < 0.3) {
      // Exercise HDLC escaping.
      const specials = 1 + this.int(3);
      for (let e = 0; e < specials; e++) payload[this.int(length)] = this.random() < 0.5 ? 0x7e : 0x7d;
    }
    const cell = this.cells[this.int(this.cells.length)] as { pci: number; earfcn: number };
    const body = buildLteRrcOtaBody({
      extHeaderVersion: 20,
      rrcRelMaj: 15,
      rrcRelMin: 48,
      bearerId: this.int(4),
      phyCellId: cell.pci,
      earfcn: cell.earfcn,
      sfnSubfn: this.int(0x10000),
      pduNum: PDU_NUMS[this.int(PDU_NUMS.length)] as number,
      sibMask: 0,
      payload,
    });
    const frame = encodeHdlcFrame(buildDiagLogMessage({ logCode: LOG_CODE_LTE_RRC_OTA, timestamp, body }));
    return { frame, timeMs };
  }

  /** The next container of 1..maxMessagesPerContainer messages. */
  nextContainer(): SyntheticContainer {
    const count = 1 + this.int(this.maxPerContainer);
    const frames: Buffer[] = [];
    let first = 0;
    let last = 0;
    for (let i = 0; i < count; i++) {
      const { frame, timeMs } = this.nextFrame();
      if (i === 0) first = timeMs;
      last = timeMs;
      frames.push(frame);
    }
    return {
      container: buildDiagContainer({ messages: frames }),
      frames: Buffer.concat(frames),
      frameCount: count,
      firstMessageTimeMs: first,
      lastMessageTimeMs: last,
    };
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }
}

/** A deterministic capture of `messages` LTE RRC OTA frames (QMDL bytes), for tests. */
export function generateCapture(options: SyntheticOptions & { readonly messages: number }): Buffer {
  const { messages, ...rest } = options;
  if (!Number.isInteger(messages) || messages < 0)
    throw new TypeError('generateCapture: messages must be a non-negative integer');
  const gen = new SyntheticDiagGenerator(rest);
  const frames: Buffer[] = [];
  for (let i = 0; i < messages; i++) frames.push(gen.nextFrame().frame);
  return Buffer.concat(frames);
}
