import type { LedgerErrorCode } from '@ledger/domain';
import type { FleetErrorCode } from '../fleet/fleet-error-codes';

/** The codes the HTTP layer itself answers with (request shape, auth, limits, routing). */
export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'MALFORMED_JSON'
  | 'JSON_TOO_DEEP'
  | 'INVALID_BODY'
  | 'INVALID_QUERY'
  | 'UNKNOWN_EVENT_TYPE'
  | 'UNAUTHORIZED'
  | 'CROSS_ORIGIN_REFUSED'
  | 'NOT_FOUND'
  | 'NO_SUCH_EVENT'
  | 'NO_GPS_FIX'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'SIGN_IN_THROTTLED'
  | 'NOT_IMPLEMENTED'
  | 'RECORDING_EMPTY'
  | 'TOO_MANY_DOWNLOADS'
  | 'OUT_OF_DESCRIPTORS'
  | 'NOT_RECORDING'
  | 'INTERNAL';

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    http: HttpErrorCode;
    fleet: FleetErrorCode;
  }
}

/**
 * Every code an answer can carry: each library's codes (the domain's refusals,
 * the event log's, qmdl's, the store's, shipping's; see `LedgerErrorCodes`)
 * and this app's HTTP and fleet codes.
 */
export type ErrorCode = LedgerErrorCode;

/**
 * Error code → HTTP status: the one table. Codes are API (see README.md);
 * services and libs never pick statuses, they throw or refuse with a code.
 * It maps every `ErrorCode` and nothing else: the compiler reports a missing
 * code and a dead entry. The first code of a status is the one an uncoded
 * error of that status answers with (`codeForStatus`): keep `BAD_REQUEST`
 * first of the 400s and `INTERNAL` first of the 500s.
 */
export const STATUS_BY_CODE = {
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  JSON_TOO_DEEP: 400,
  EVENT_NOT_REPRESENTABLE: 400,
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  UNKNOWN_EVENT_TYPE: 400,
  SEQUENCE_PAST_HEAD: 400,
  // domain refusals of a command's values
  INVALID_TOTALS: 400,
  INVALID_RECORDING_NAME: 400,
  INVALID_CLOCK_OFFSET: 400,
  INVALID_GPS_FIX: 400,
  INVALID_CONFIG: 400,
  INVALID_SIGN_IN_FAILURES: 400,
  INVALID_TIME: 400,
  // analysis slice: refused by the decider, never expected from a request
  INVALID_ANALYSIS: 400,
  // a diag source spec that cannot be parsed (qmdl)
  INVALID_SOURCE: 400,
  // fleet: a batch that is not stored events, a bad store id or device label
  INVALID_EVENT_BATCH: 400,
  INVALID_STORE_ID: 400,
  INVALID_LABEL: 400,
  // fleet: a report upload's version or length that is not well formed
  INVALID_REPORT_VERSION: 400,
  UNAUTHORIZED: 401,
  READ_ONLY: 403,
  CROSS_ORIGIN_REFUSED: 403,
  // fleet: a device token used for another store than the one it is bound to
  WRONG_DEVICE: 403,
  NOT_FOUND: 404,
  NO_SUCH_RECORDING: 404,
  NO_SUCH_EVENT: 404,
  NO_SUCH_DEVICE: 404,
  NO_GPS_FIX: 404,
  METHOD_NOT_ALLOWED: 405,
  RECORDING_NOT_ACTIVE: 409,
  RECORDING_EXISTS: 409,
  SEQUENCE_CONFLICT: 409,
  STORE_ALREADY_CREATED: 409,
  MIGRATION_ALREADY_APPLIED: 409,
  ANALYSIS_NOT_RUNNING: 409,
  ANALYSIS_FINDINGS_RECORDED: 409,
  // fleet ingest: the batch does not extend the central head (body carries `head`), an upload offset past the stored size (body carries `size`)
  CHAIN_MISMATCH: 409,
  OFFSET_MISMATCH: 409,
  // fleet ingest: an analysis report older than the stored one (body carries `size`, `version`); nothing changes
  STALE_REPORT_VERSION: 409,
  // fleet downloads: the report was replaced by a newer version mid-download (raised after the status is sent: the body is cut)
  REPORT_REPLACED: 409,
  PAYLOAD_TOO_LARGE: 413,
  EVENT_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // fleet ingest: a shipped event whose hash or link does not verify, or a first event of another store; nothing of the batch is stored
  EVENT_HASH_MISMATCH: 422,
  STORE_ID_MISMATCH: 422,
  // fleet ingest: a report version no shipped completion names, or a report's bytes that do not fit its length
  UNKNOWN_REPORT_VERSION: 422,
  REPORT_LENGTH_MISMATCH: 422,
  SIGN_IN_THROTTLED: 429,
  NOT_IMPLEMENTED: 501,
  RECORDING_EMPTY: 503,
  // Over --max-downloads (Retry-After), or no file descriptor left to open the files (Retry-After).
  TOO_MANY_DOWNLOADS: 503,
  OUT_OF_DESCRIPTORS: 503,
  NOT_RECORDING: 503,
  STORE_LOCKED: 503,
  PROCESSOR_CLOSED: 503,
  LOG_CLOSED: 503,
  DATABASE_UNAVAILABLE: 503,
  INSUFFICIENT_DISK_SPACE: 507,
  // The store could not write (e.g. the disk is full): the original answers 507 to any store failure at start.
  WRITE_FAILED: 507,
  QMDL_WRITE_FAILED: 507,
  INTERNAL: 500,
  // A bug or a damaged store, never the request's fault: 500 with the code in the answer.
  INVARIANT_BROKEN: 500,
  STORE_NOT_FOUND: 500,
  NOT_A_STORE: 500,
  UNSUPPORTED_FORMAT_VERSION: 500,
  STORE_OPEN_FAILED: 500,
  READ_FAILED: 500,
  CORRUPT_EVENT: 500,
  CORRUPT_SNAPSHOT: 500,
  CLOSE_FAILED: 500,
  UPCAST_FAILED: 500,
  SEQUENCE_GAP: 500,
  BAD_HASH: 500,
  BAD_PREV: 500,
  DATA_DIR_UNUSABLE: 500,
  HDLC_BAD_ESCAPE: 500,
  HDLC_BAD_CRC: 500,
  HDLC_TOO_SHORT: 500,
  HDLC_BAD_FLAG: 500,
  DIAG_TRUNCATED: 500,
  DIAG_NOT_LOG: 500,
  LTE_RRC_UNSUPPORTED_VERSION: 500,
  LTE_RRC_TRUNCATED: 500,
  DIAG_CONTAINER_TRUNCATED: 500,
  QMDL_FILE_EXISTS: 500,
  QMDL_WRITER_CLOSED: 500,
  QMDL_READ_FAILED: 500,
  SOURCE_OPEN_FAILED: 500,
  SHIP_UNREACHABLE: 500,
  SHIP_REFUSED: 500,
  CHAIN_FORKED: 500,
} as const satisfies Record<ErrorCode, number>;

/**
 * Per-route exceptions to the table, where the Rayhunter API fixed a different
 * status: deleting an unknown recording is 400 there, not 404.
 */
export const STATUS_OVERRIDES: ReadonlyArray<{
  readonly method: string;
  readonly path: RegExp;
  readonly code: ErrorCode;
  readonly status: number;
}> = [{ method: 'POST', path: /^\/api\/delete-recording\//, code: 'NO_SUCH_RECORDING', status: 400 }];

export function statusFor(code: string, method: string, path: string): number {
  for (const o of STATUS_OVERRIDES) if (o.code === code && o.method === method && o.path.test(path)) return o.status;
  if (Object.hasOwn(STATUS_BY_CODE, code)) return STATUS_BY_CODE[code as ErrorCode];
  if (code.startsWith('INVALID_')) return 400;
  return 500;
}

/** Our own endpoints answer `{code, message}` JSON; the Rayhunter-compatible ones answer text like the original. */
export function answersJson(path: string): boolean {
  if (!path.startsWith('/api/')) return true;
  return /^\/api\/(events|recordings|store|auth|docs|fleet|shipping|reactors)(\/|$|-)/.test(path);
}

/** EMFILE/ENFILE anywhere in an error's `cause` chain (or in a qmdl read error's `details.errno`). */
export function isOutOfDescriptors(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; details?: { errno?: unknown }; cause?: unknown } | null | undefined, depth = 0;
    e && depth < 8;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === 'EMFILE' || e.code === 'ENFILE' || e.details?.errno === 'EMFILE' || e.details?.errno === 'ENFILE')
      return true;
  }
  return false;
}
