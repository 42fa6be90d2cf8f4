import type { NasDirection, NasFacts } from '../nas/lte-nas';
import type { LteRrcChannelName, LteRrcFacts } from '../rrc/lte-rrc';

/** Severities, lowest first (the order the original compares them in). */
export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** What an analyzer says about one element. */
export interface AnalyzerEvent {
  readonly event_type: Severity;
  readonly message: string;
}

/**
 * One decoded radio message as the analyzers see it (the original's
 * "information element"): the facts of an LTE RRC message of a channel, or of
 * an LTE NAS message with its direction.
 */
export type InformationElement =
  | { readonly kind: 'lte-rrc'; readonly channel: LteRrcChannelName; readonly rrc: LteRrcFacts }
  | { readonly kind: 'lte-nas'; readonly direction: NasDirection; readonly nas: NasFacts };

/** The enable/disable keys of the config's `analyzers` object, in report order. */
export const ANALYZER_KEYS = [
  'imsi_requested',
  'connection_redirect_2g_downgrade',
  'lte_sib6_and_7_downgrade',
  'null_cipher',
  'nas_null_cipher',
  'incomplete_sib',
  'test_analyzer',
  'diagnostic_analyzer',
] as const;
export type AnalyzerKey = (typeof ANALYZER_KEYS)[number];
export type AnalyzerConfig = Readonly<Record<AnalyzerKey, boolean>>;

/** Every analyzer on except the test analyzer, as the original. */
export const DEFAULT_ANALYZER_CONFIG: AnalyzerConfig = {
  imsi_requested: true,
  connection_redirect_2g_downgrade: true,
  lte_sib6_and_7_downgrade: true,
  null_cipher: true,
  nas_null_cipher: true,
  incomplete_sib: true,
  test_analyzer: false,
  diagnostic_analyzer: true,
};

/**
 * A heuristic as a pure function: `analyze(state, element, packet)` returns the
 * next state and at most one event. No clock, no I/O, no hidden state, so the
 * same stream always gives the same findings, live or after the fact.
 *
 * @example
 * let state = analyzer.initial();
 * for (const [ie, packet] of elements) {
 *   const step = analyzer.analyze(state, ie, packet);
 *   state = step.state;
 *   if (step.event) console.log(step.event.event_type, step.event.message);
 * }
 */
export interface Analyzer<S> {
  readonly key: AnalyzerKey;
  /** Shown in reports and the UI, compared by dashboards: exactly the original's. */
  readonly name: string;
  readonly description: string;
  /** Raised whenever the heuristic changes substantially: reports made by an older version are stale. */
  readonly version: number;
  initial(): S;
  analyze(state: S, element: InformationElement, packet: number): AnalyzerStep<S>;
  /**
   * The messages this analyzer reads, by element kind (an LTE RRC message's `rrc.message`, an LTE NAS
   * message's `nas.message`). For every other element `analyze` keeps its state and raises nothing, so
   * the harness does not call it (most of a capture is messages no heuristic reads). Absent: it reads
   * every element. A spec holds each list against `analyze` itself.
   */
  readonly reads?: { readonly rrc: readonly LteRrcFacts['message'][]; readonly nas: readonly NasFacts['message'][] };
}

export interface AnalyzerStep<S> {
  readonly state: S;
  readonly event?: AnalyzerEvent;
}

/** Helper for analyzers without state. */
export function stateless(event: AnalyzerEvent | undefined): AnalyzerStep<undefined> {
  return event === undefined ? { state: undefined } : { state: undefined, event };
}
