export { LTE_RRC_KNOWN_VERSIONS, lteRrcChannelOf, lteRrcDirectionOf } from './lte-rrc-channels';
export { SkipReason } from './radio-message';
export type {
  Direction,
  GsmRrChannel,
  GsmRrMessage,
  LteMacRachResponse,
  LteNasMessage,
  LteRrcChannel,
  LteRrcMessage,
  RadioMessage,
  RadioMessageOrigin,
  UnreadableMessage,
  UnreadableReason,
} from './radio-message';
export {
  LOG_CODE_LTE_NAS_EMM_PLAIN_IN,
  LOG_CODE_LTE_NAS_EMM_PLAIN_OUT,
  LOG_CODE_LTE_NAS_ESM_PLAIN_IN,
  LOG_CODE_LTE_NAS_ESM_PLAIN_OUT,
  decodeDiagMessage,
  diagTimestampToUnixMicros,
} from './decode';
export type { DecodeOutcome, DiagMessagePosition } from './decode';
export { LOG_CODE_LTE_MAC_RACH_RESPONSE, parseRachAttempt, rachResponseMacPdu } from './lte-mac-rach';
export type { RachAttempt } from './lte-mac-rach';
export { LOG_CODE_GSM_RR_SIGNALLING, parseGsmRrLog } from './gsm-rr';
export type { GsmRrLog } from './gsm-rr';
export { MAX_REPORTED_DAMAGE, RadioMessageReader, readRadioMessages } from './radio-message-reader';
export type { RadioMessageReaderOptions, RadioReadStats, ReadRadioMessagesOptions } from './radio-message-reader';
export { GSMTAP_HEADER_BYTES, GSMTAP_PORT, GsmtapType, encodeGsmtap, gsmtapOf } from './gsmtap';
export type { GsmtapPacket } from './gsmtap';
export {
  GSMTAP_SOURCE_PORT,
  LINKTYPE_IPV4,
  PCAPNG_SNAPLEN,
  encodeInterfaceDescription,
  encodeSectionHeader,
} from './pcapng';
export type { SectionHeaderOptions } from './pcapng';
export { GpsFixMatcher, gpsComment, parseGpsFixLine, readGpsFixes } from './gps';
export type { GpsFix } from './gps';
export { convertedKey, createPcapngExport } from './pcapng-export';
export type { PcapExportStats, PcapngExport, PcapngExportOptions } from './pcapng-export';
/** Test vectors: frames the message layer cannot read, each with its reason (for the analysis e2e specs). */
export { unreadableFrames } from './testing/capture-builder';
