export { PerDecodeError, PerReader, bitsFor } from './per/per-reader';
export type { PerFailure } from './per/per-reader';
export {
  bitString,
  bitsNumber,
  bool,
  choice,
  custom,
  decodePer,
  enumerated,
  int,
  lazy,
  nul,
  octetString,
  opt,
  read,
  seq,
  seqOf,
} from './per/per-schema';
export type {
  ChoiceValue,
  OptionalField,
  Per,
  PerResult,
  PerValue,
  SeqOptions,
  SeqValue,
  UnknownExtension,
} from './per/per-schema';
export { decodeLteRrc, plmnString } from './rrc/lte-rrc';
export type {
  LteRrcChannelName,
  LteRrcDecodeResult,
  LteRrcFacts,
  RedirectTarget,
  RrcPlmn,
  Sib1Facts,
} from './rrc/lte-rrc';
export type {
  ReconfigurationExtensions,
  ReconfigurationSecurity,
  SibEntry,
  SystemInformationValue,
} from './rrc/lte-rrc.schema';
export { EmmCause, EmmMessageType, decodeLteNas, emmCauseName } from './nas/lte-nas';
export type {
  EmmMessageName,
  IdentityType,
  NasDecodeResult,
  NasDirection,
  NasFacts,
  NasFailure,
  NasPlmn,
} from './nas/lte-nas';
export { ANALYZER_KEYS, DEFAULT_ANALYZER_CONFIG, SEVERITIES, stateless } from './analyzers/analyzer';
export type {
  Analyzer,
  AnalyzerConfig,
  AnalyzerEvent,
  AnalyzerKey,
  AnalyzerStep,
  InformationElement,
  Severity,
} from './analyzers/analyzer';
export { IDENTITY_REQUEST_TIMEOUT, imsiRequestedAnalyzer } from './analyzers/imsi-requested.analyzer';
export type { ImsiRequestedState } from './analyzers/imsi-requested.analyzer';
export { connectionRedirect2gDowngradeAnalyzer } from './analyzers/connection-redirect-2g-downgrade.analyzer';
export { lteSib6And7DowngradeAnalyzer } from './analyzers/lte-sib6-and-7-downgrade.analyzer';
export type { Sib6And7State } from './analyzers/lte-sib6-and-7-downgrade.analyzer';
export { nullCipherAnalyzer } from './analyzers/null-cipher.analyzer';
export { nasNullCipherAnalyzer } from './analyzers/nas-null-cipher.analyzer';
export { incompleteSibAnalyzer } from './analyzers/incomplete-sib.analyzer';
export { testAnalyzer } from './analyzers/test.analyzer';
export { diagnosticAnalyzer } from './analyzers/diagnostic.analyzer';
export { ANALYZERS, AnalysisHarness, REPORT_VERSION, formatPacketTimestamp, unreadableSkipReason } from './harness';
export type {
  AnalysisHarnessOptions,
  AnalysisMessage,
  AnalysisRow,
  AnalysisStats,
  AnalyzerMetadata,
  ReportMetadata,
  RuntimeMetadata,
} from './harness';
export { PerWriter } from './vectors/per-writer';
export { craftedMessages } from './vectors/crafted-messages';
export type { CraftedMessage, CraftedName, CraftedNas, CraftedRrc } from './vectors/crafted-messages';
