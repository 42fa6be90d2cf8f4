export { QmdlErrorCode } from './errors';
export { u16le, u32le, u64OfHalves } from './bytes';
export { crc16X25 } from './crc16';
export { HDLC_ESCAPE, HDLC_FLAG, decodeHdlcFrame, encodeHdlcFrame } from './hdlc';
export { DEFAULT_MAX_FRAME_BYTES, FrameSplitter, joinFrames } from './frame-splitter';
export type { FrameDamage, FrameSplitterOptions, FrameSplitterStats, HdlcFrame, ScannedFrame } from './frame-splitter';
export {
  DIAG_EPOCH_MS,
  DIAG_LOG_CMD,
  DIAG_LOG_HEADER_BYTES,
  DIAG_MULTI_RADIO_CMD,
  DIAG_MULTI_RADIO_HEADER_BYTES,
  LOG_CODE_LTE_RRC_OTA,
  LTE_RRC_OTA_HEADER_BYTES,
  buildDiagLogMessage,
  buildLteRrcOtaBody,
  diagLogTimeMs,
  diagTimestampToEpochMs,
  epochMsToDiagTimestamp,
  parseDiagLogMessage,
  parseLteRrcOtaBody,
  parseLteRrcOtaBodyAnyVersion,
  readLteRrcOtaHeader,
  unwrapMultiRadio,
} from './diag-message';
export type {
  BuildDiagLogMessageOptions,
  DiagLogMessage,
  LteRrcOtaHeader,
  LteRrcOtaPacket,
  MultiRadioMessage,
} from './diag-message';
export { DIAG_DATA_TYPE_USER_SPACE, buildDiagContainer, containerFrames, parseDiagContainer } from './diag-container';
export type { DiagContainer } from './diag-container';
export { QmdlGzipWriter } from './qmdl-gzip-writer';
export type { QmdlGzipWriterOptions, QmdlWriteOptions, QmdlWriteTotals } from './qmdl-gzip-writer';
export { decompressedSize, detectQmdlEncoding, openQmdlReadStream } from './qmdl-reader';
export type { QmdlReadOptions } from './qmdl-reader';
export { SyntheticDiagGenerator, generateCapture } from './synthetic';
export type { SyntheticContainer, SyntheticOptions } from './synthetic';
export { createDiagSource, diagSourceFactory, type DiagSourceFactory } from './sources/create-diag-source';
export type { DiagChunk, DiagSource, DiagSourceOptions, DiagSourcePace, DiagSourceStats } from './sources/diag-source';
