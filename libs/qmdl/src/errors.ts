import { LedgerError } from '@ledger/domain';

/**
 * Stable error codes of `@ledger/qmdl` (API: listed in the README). Messages may
 * change; callers switch on the code.
 */
export const QmdlErrorCode = {
  /** A 0x7D escape followed by a byte other than 0x5E/0x5D, or an escape at the very end. */
  HDLC_BAD_ESCAPE: 'HDLC_BAD_ESCAPE',
  /** The CRC-16/X-25 at the end of the frame does not match its payload. */
  HDLC_BAD_CRC: 'HDLC_BAD_CRC',
  /** Fewer than 2 unescaped bytes (the CRC) before the closing flag. */
  HDLC_TOO_SHORT: 'HDLC_TOO_SHORT',
  /** The frame does not end with 0x7E, or has an unescaped 0x7E before its end. */
  HDLC_BAD_FLAG: 'HDLC_BAD_FLAG',
  /** A diag message shorter than its header or than its declared length. */
  DIAG_TRUNCATED: 'DIAG_TRUNCATED',
  /** A diag message whose command byte is not 0x10 (log). */
  DIAG_NOT_LOG: 'DIAG_NOT_LOG',
  /** An LTE RRC OTA body with an ext header version outside 8–24. */
  LTE_RRC_UNSUPPORTED_VERSION: 'LTE_RRC_UNSUPPORTED_VERSION',
  /** An LTE RRC OTA body shorter than its header or its declared payload length. */
  LTE_RRC_TRUNCATED: 'LTE_RRC_TRUNCATED',
  /** A /dev/diag container shorter than its header or its declared messages. */
  DIAG_CONTAINER_TRUNCATED: 'DIAG_CONTAINER_TRUNCATED',
  /** QmdlGzipWriter.create on a path that already exists. */
  QMDL_FILE_EXISTS: 'QMDL_FILE_EXISTS',
  /** The file system refused a QMDL write, sync or close (cause attached). */
  QMDL_WRITE_FAILED: 'QMDL_WRITE_FAILED',
  /** write/sync/finish on a writer that is finished, aborted or failed. */
  QMDL_WRITER_CLOSED: 'QMDL_WRITER_CLOSED',
  /** A QMDL file could not be opened or read, or its gzip data is corrupt (cause attached). */
  QMDL_READ_FAILED: 'QMDL_READ_FAILED',
  /** A diag source spec that cannot be parsed. */
  INVALID_SOURCE: 'INVALID_SOURCE',
  /** A diag source could not be opened (missing file, not a FIFO…; cause attached). */
  SOURCE_OPEN_FAILED: 'SOURCE_OPEN_FAILED',
} as const;

export type QmdlErrorCode = (typeof QmdlErrorCode)[keyof typeof QmdlErrorCode];

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    qmdl: QmdlErrorCode;
  }
}

export function qmdlError(
  code: QmdlErrorCode,
  message: string,
  options: { cause?: unknown; details?: Record<string, unknown> } = {},
): LedgerError {
  return new LedgerError(code, message, options);
}
