import { SEVERITIES, type AnalysisRow } from '@ledger/analysis';
import { FINDING_WINDOW_PACKETS, type AnalysisFindingData, type FindingSeverity } from '@ledger/domain';

/**
 * Turns report rows into the coalesced finding events of one analysis: within
 * a window of FINDING_WINDOW_PACKETS packets, one finding per analyzer and
 * severity (the first one's message, packet and time, and how many there
 * were). A window closes when a row of a later window arrives, or at the end;
 * memory is one window's findings: at most analyzers × 3.
 */
export class FindingCoalescer {
  private windowEnd = 0;
  private open = new Map<string, { -readonly [K in keyof AnalysisFindingData]: AnalysisFindingData[K] }>();

  constructor(
    private readonly options: {
      readonly analysisId: string;
      readonly analyzers: readonly { readonly key: string; readonly name: string }[];
    },
  ) {}

  /**
   * Adds a row of the message numbered `packet`; returns the findings of the
   * window it closed (with the window's end as `through`), if any.
   */
  add(row: AnalysisRow, packet: number): { through: number; findings: AnalysisFindingData[] } | undefined {
    if (row.skipped_message_reason !== null || row.packet_timestamp === null) return undefined;
    const end = Math.ceil(packet / FINDING_WINDOW_PACKETS) * FINDING_WINDOW_PACKETS;
    const closed = end > this.windowEnd ? this.close() : undefined;
    this.windowEnd = end;
    row.events.forEach((event, i) => {
      if (event === null || SEVERITIES.indexOf(event.event_type) <= 0) return;
      const analyzer = this.options.analyzers[i];
      if (analyzer === undefined) return;
      const severity = event.event_type as FindingSeverity;
      const key = `${analyzer.key}|${severity}`;
      const known = this.open.get(key);
      if (known !== undefined) {
        known.count += 1;
        known.lastPacket = packet;
        return;
      }
      this.open.set(key, {
        analysisId: this.options.analysisId,
        analyzer: analyzer.key,
        analyzerName: analyzer.name,
        severity,
        message: event.message,
        packet,
        packetTime: row.packet_timestamp as string,
        count: 1,
        lastPacket: packet,
        windowEnd: end,
      });
    });
    return closed;
  }

  /** The findings of the open window (at the end of the analysis), if any. */
  close(): { through: number; findings: AnalysisFindingData[] } | undefined {
    if (this.open.size === 0) return undefined;
    const findings = [...this.open.values()];
    this.open = new Map();
    return { through: this.windowEnd, findings };
  }
}
