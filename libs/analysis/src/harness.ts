import {
  DEFAULT_ANALYZER_CONFIG,
  type Analyzer,
  type AnalyzerConfig,
  type AnalyzerEvent,
  type InformationElement,
  type Severity,
} from './analyzers/analyzer';
import { connectionRedirect2gDowngradeAnalyzer } from './analyzers/connection-redirect-2g-downgrade.analyzer';
import { diagnosticAnalyzer } from './analyzers/diagnostic.analyzer';
import { imsiRequestedAnalyzer } from './analyzers/imsi-requested.analyzer';
import { incompleteSibAnalyzer } from './analyzers/incomplete-sib.analyzer';
import { lteSib6And7DowngradeAnalyzer } from './analyzers/lte-sib6-and-7-downgrade.analyzer';
import { nasNullCipherAnalyzer } from './analyzers/nas-null-cipher.analyzer';
import { nullCipherAnalyzer } from './analyzers/null-cipher.analyzer';
import { testAnalyzer } from './analyzers/test.analyzer';
import { decodeLteNas, type NasDirection } from './nas/lte-nas';
import { decodeLteRrc, type LteRrcChannelName } from './rrc/lte-rrc';

/** Report format version written in the metadata line (the original's v2). */
export const REPORT_VERSION = 2;

/** Every analyzer, in report order (the order of `ANALYZER_KEYS`). */
export const ANALYZERS: readonly Analyzer<unknown>[] = [
  imsiRequestedAnalyzer,
  connectionRedirect2gDowngradeAnalyzer,
  lteSib6And7DowngradeAnalyzer,
  nullCipherAnalyzer,
  nasNullCipherAnalyzer,
  incompleteSibAnalyzer,
  testAnalyzer,
  diagnosticAnalyzer,
] as readonly Analyzer<unknown>[];

/**
 * A radio message as the message layer delivers it (structurally the
 * `@ledger/radio` RadioMessage): `index` is the 1-based position of its diag
 * message in the capture, counting every message read, and becomes the report's
 * "packet N"; `timeUs` is the diag time in microseconds since the Unix epoch.
 */
export type AnalysisMessage =
  | {
      readonly kind: 'lte-rrc';
      readonly index: number;
      readonly timeUs: number;
      readonly channel: LteRrcChannelName;
      readonly payload: Uint8Array;
    }
  | {
      readonly kind: 'lte-nas';
      readonly index: number;
      readonly timeUs: number;
      readonly direction: NasDirection;
      readonly payload: Uint8Array;
    }
  | { readonly kind: 'lte-mac-rach-response' | 'gsm-rr'; readonly index: number; readonly timeUs: number }
  | {
      readonly kind: 'unreadable';
      readonly index: number;
      /** The radio layer's reason (`UnreadableReason`: a frame damage or a diag skip reason). */
      readonly reason: string;
      readonly extHeaderVersion?: number;
      readonly pduNum?: number;
    };

export interface AnalyzerMetadata {
  readonly name: string;
  readonly description: string;
  readonly version: number;
}

/** The `rayhunter` object of the metadata line: who made the report. */
export interface RuntimeMetadata {
  readonly rayhunter_version: string;
  readonly system_os: string;
  readonly arch: string;
}

export interface ReportMetadata {
  readonly analyzers: readonly AnalyzerMetadata[];
  readonly rayhunter: RuntimeMetadata;
  readonly report_version: number;
}

/** One report row (format v2): `events[i]` belongs to `analyzers[i]`; a skipped row has no events. */
export interface AnalysisRow {
  readonly packet_timestamp: string | null;
  readonly skipped_message_reason: string | null;
  readonly events: readonly (AnalyzerEvent | null)[];
}

/** What a harness has seen so far. Plain data. */
export interface AnalysisStats {
  /** Radio messages given to `analyze`. */
  messages: number;
  /** Elements the analyzers saw (RRC and NAS messages, NAS carried in RRC counted once). */
  elements: number;
  /** Messages not analysed, by skip reason (the report rows' `skipped_message_reason`). */
  skipped: Record<string, number>;
  /** Events by severity (Informational included, though the report writes no rows for them). */
  events: Record<Severity, number>;
  /** NAS messages not analysed a second time (the NAS log's copy of a message RRC already carried). */
  duplicateNas: number;
}

export interface AnalysisHarnessOptions {
  /** Which analyzers run (the config's `analyzers` object); missing keys take the defaults. */
  readonly config?: Partial<AnalyzerConfig>;
}

/** NAS PDUs carried by RRC are remembered this many messages long, to drop the NAS log's copy of them. */
const NAS_DUPLICATE_WINDOW = 64;

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * The report's skip reason for a frame or message that could not be read, in
 * the original's words (its `DiagParsingError` / `GsmtapParserError` variants),
 * without the frame's bytes and CRC values it also prints: a reason is a
 * counting key (RecordingAnalysisCompleted counts skips by reason), so it must
 * not differ per frame, and the bytes of a damaged frame may hold an identity.
 */
export function unreadableSkipReason(message: Extract<AnalysisMessage, { kind: 'unreadable' }>): string {
  switch (message.reason) {
    case 'HDLC_BAD_CRC':
      return 'HdlcDecapsulationError(InvalidChecksum)';
    case 'HDLC_BAD_ESCAPE':
      return 'HdlcDecapsulationError(InvalidEscapeSequence)';
    case 'HDLC_TOO_SHORT':
      return 'HdlcDecapsulationError(TooShort)';
    case 'HDLC_BAD_FLAG':
    case 'FRAME_CUT':
      // The original reads a cut last frame as one with no closing 0x7E.
      return 'HdlcDecapsulationError(NoTrailingCharacter)';
    case 'FRAME_TOO_LONG':
      // Ours: the original has no frame length limit.
      return 'HdlcDecapsulationError(FrameTooLong)';
    case 'MESSAGE_TRUNCATED':
      return 'MessageParsingError(Incomplete)';
    case 'LTE_RRC_UNKNOWN_VERSION':
      return `InvalidLteRrcOtaExtHeaderVersion(${message.extHeaderVersion ?? '?'})`;
    case 'LTE_RRC_UNKNOWN_PDU':
      return `InvalidLteRrcOtaHeaderPduNum(${message.extHeaderVersion ?? '?'}, ${message.pduNum ?? '?'})`;
    default:
      return `Unreadable(${message.reason})`;
  }
}

/** RFC 3339 with the fraction trimmed to 0, 3 or 6 digits and a `+00:00` offset, as the original writes it. */
export function formatPacketTimestamp(timeUs: number): string {
  const ms = Math.floor(timeUs / 1000);
  const micros = timeUs - ms * 1000;
  const base = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  const seconds = base.slice(0, 19);
  const millis = base.slice(20, 23);
  const fraction = micros !== 0 ? `.${millis}${String(micros).padStart(3, '0')}` : millis !== '000' ? `.${millis}` : '';
  return `${seconds}${fraction}+00:00`;
}

/**
 * Runs the enabled analyzers over a stream of radio messages and yields the
 * rows of a v2 report. Bounded memory: each analyzer's state, plus a few recent
 * NAS PDUs for de-duplication. Never throws on bad input: a message that does
 * not decode is a row with its skip reason.
 *
 * NAS de-duplication: a device that logs NAS writes each plain NAS message to
 * the NAS log and again inside the RRC information transfer that carried it.
 * The NAS log is authoritative once one NAS log message has been seen (it holds
 * the deciphered copy of every message); before that, NAS carried in RRC is
 * analysed, and a NAS log message equal to one of those within the last
 * `NAS_DUPLICATE_WINDOW` messages is not analysed again.
 *
 * @example
 * const harness = new AnalysisHarness({ config: { test_analyzer: true } });
 * write(JSON.stringify(harness.metadata(runtime)));
 * for (const message of messages) for (const row of harness.analyze(message)) write(JSON.stringify(row));
 */
export class AnalysisHarness {
  private readonly enabled: readonly Analyzer<unknown>[];
  private readonly states: unknown[];
  /** What each analyzer said about the element being analysed (every slot written for every element). */
  private readonly found: (AnalyzerEvent | undefined)[];
  /** Per enabled analyzer, the RRC and NAS messages it reads (undefined: every element). */
  private readonly reads: ({ readonly rrc: ReadonlySet<string>; readonly nas: ReadonlySet<string> } | undefined)[];
  private nasLogSeen = false;
  private recentRrcNas: { readonly index: number; readonly pdu: string }[] = [];
  private readonly counters: AnalysisStats = {
    messages: 0,
    elements: 0,
    skipped: {},
    events: { Informational: 0, Low: 0, Medium: 0, High: 0 },
    duplicateNas: 0,
  };

  constructor(options: AnalysisHarnessOptions = {}) {
    const config = { ...DEFAULT_ANALYZER_CONFIG, ...options.config };
    this.enabled = ANALYZERS.filter((a) => config[a.key]);
    this.states = this.enabled.map((a) => a.initial());
    this.found = this.enabled.map(() => undefined);
    this.reads = this.enabled.map((a) =>
      a.reads === undefined ? undefined : { rrc: new Set(a.reads.rrc), nas: new Set(a.reads.nas) },
    );
  }

  /** The metadata line: the enabled analyzers in report order, who analysed, the format version. */
  metadata(rayhunter: RuntimeMetadata): ReportMetadata {
    return {
      analyzers: this.enabled.map(({ name, description, version }) => ({ name, description, version })),
      rayhunter,
      report_version: REPORT_VERSION,
    };
  }

  /** The keys of the enabled analyzers, in report order. */
  get analyzerKeys(): readonly string[] {
    return this.enabled.map((a) => a.key);
  }

  stats(): AnalysisStats {
    return structuredClone(this.counters);
  }

  /** Analyses one message; returns the rows it adds to the report (none, one, or two when RRC carried NAS). */
  analyze(message: AnalysisMessage): AnalysisRow[] {
    this.counters.messages++;
    // Formatted only for a message that makes a row (few do).
    switch (message.kind) {
      case 'lte-rrc':
        return this.analyzeRrc(message, message.timeUs);
      case 'lte-nas':
        return this.analyzeNasLog(message, message.timeUs);
      case 'lte-mac-rach-response':
        // The original turns these into GSMTAP LTE MAC packets, which it cannot analyse.
        return [this.skip(message.timeUs, 'UnsupportedGsmtapType(LteMac)')];
      case 'gsm-rr':
        return [];
      case 'unreadable': {
        // No timestamp: the original has none for a message it could not parse.
        const reason = unreadableSkipReason(message);
        this.count(reason);
        return [{ packet_timestamp: null, skipped_message_reason: reason, events: [] }];
      }
      default: {
        const never: never = message;
        return never;
      }
    }
  }

  private analyzeRrc(message: Extract<AnalysisMessage, { kind: 'lte-rrc' }>, time: number): AnalysisRow[] {
    if (message.channel.endsWith('-NB')) return [this.skip(time, `UnsupportedGsmtapType(LteRrc(${message.channel}))`)];
    const decoded = decodeLteRrc(message.channel, message.payload);
    if (!decoded.ok) return [this.skip(time, `RRCDecodingError(${decoded.failure} at ${decoded.field})`)];
    const rrc = decoded.facts;
    const rows: AnalysisRow[] = [];
    this.runAnalyzers({ kind: 'lte-rrc', channel: message.channel, rrc }, message.index, time, rows);
    const carried =
      rrc.message === 'dlInformationTransfer' ||
      rrc.message === 'ulInformationTransfer' ||
      rrc.message === 'rrcConnectionSetupComplete'
        ? rrc.nas
        : undefined;
    if (carried !== undefined && !this.nasLogSeen) {
      const direction: NasDirection = message.channel === 'UL-DCCH' ? 'uplink' : 'downlink';
      this.recentRrcNas.push({ index: message.index, pdu: hex(carried) });
      if (this.recentRrcNas.length > 8) this.recentRrcNas.shift();
      const nas = decodeLteNas(carried, direction);
      if (nas.ok) this.runAnalyzers({ kind: 'lte-nas', direction, nas: nas.facts }, message.index, time, rows);
      else this.count(`NASDecodingError(${nas.reason})`);
    }
    return rows;
  }

  private analyzeNasLog(message: Extract<AnalysisMessage, { kind: 'lte-nas' }>, time: number): AnalysisRow[] {
    this.nasLogSeen = true;
    if (this.recentRrcNas.length > 0) {
      const pdu = hex(message.payload);
      this.recentRrcNas = this.recentRrcNas.filter((r) => message.index - r.index <= NAS_DUPLICATE_WINDOW);
      const at = this.recentRrcNas.findIndex((r) => r.pdu === pdu);
      if (at >= 0) {
        this.recentRrcNas.splice(at, 1);
        this.counters.duplicateNas++;
        return [];
      }
    }
    const nas = decodeLteNas(message.payload, message.direction);
    if (!nas.ok) return [this.skip(time, `NASDecodingError(${nas.reason})`)];
    const rows: AnalysisRow[] = [];
    this.runAnalyzers({ kind: 'lte-nas', direction: message.direction, nas: nas.facts }, message.index, time, rows);
    return rows;
  }

  /**
   * Runs every enabled analyzer that reads the element over it and adds its row to `rows` when an event above
   * Informational came of it. Most elements give no event at all: they cost no row, no events array
   * and no message text (the live analysis runs this for every message as it is recorded).
   */
  private runAnalyzers(element: InformationElement, packet: number, time: number, rows: AnalysisRow[]): void {
    this.counters.elements++;
    const enabled = this.enabled;
    const found = this.found;
    const rrc = element.kind === 'lte-rrc';
    const message = rrc ? element.rrc.message : element.nas.message;
    let notable = false;
    for (let i = 0; i < enabled.length; i++) {
      const reads = this.reads[i];
      if (reads !== undefined && !(rrc ? reads.rrc : reads.nas).has(message)) {
        found[i] = undefined;
        continue;
      }
      const step = (enabled[i] as Analyzer<unknown>).analyze(this.states[i], element, packet);
      this.states[i] = step.state;
      const event = step.event;
      found[i] = event;
      if (event === undefined) continue;
      this.counters.events[event.event_type]++;
      if (event.event_type !== 'Informational') notable = true;
    }
    if (!notable) return;
    const events = enabled.map((_, i): AnalyzerEvent | null => {
      const event = found[i];
      return event === undefined
        ? null
        : { event_type: event.event_type, message: `${event.message} (packet ${packet})` };
    });
    rows.push({ packet_timestamp: formatPacketTimestamp(time), skipped_message_reason: null, events });
  }

  private skip(time: number, reason: string): AnalysisRow {
    this.count(reason);
    return { packet_timestamp: formatPacketTimestamp(time), skipped_message_reason: reason, events: [] };
  }

  private count(reason: string): void {
    this.counters.skipped[reason] = (this.counters.skipped[reason] ?? 0) + 1;
  }
}
