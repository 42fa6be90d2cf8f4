/**
 * Error code → HTTP status: the one table. Codes are API (see README.md);
 * services and libs never pick statuses, they throw or refuse with a code.
 */
export const STATUS_BY_CODE: Readonly<Record<string, number>> = {
  BAD_REQUEST: 400,
  MALFORMED_JSON: 400,
  JSON_TOO_DEEP: 400,
  EVENT_NOT_REPRESENTABLE: 400,
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  UNKNOWN_EVENT_TYPE: 400,
  SEQUENCE_PAST_HEAD: 400,
  // analysis slice: refused by the decider, never expected from a request
  INVALID_ANALYSIS: 400,
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
  PAYLOAD_TOO_LARGE: 413,
  EVENT_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  // fleet ingest: a shipped event whose hash or link does not verify, or a first event of another store; nothing of the batch is stored
  EVENT_HASH_MISMATCH: 422,
  STORE_ID_MISMATCH: 422,
  SIGN_IN_THROTTLED: 429,
  NOT_IMPLEMENTED: 501,
  RECORDING_EMPTY: 503,
  // Over --max-downloads (Retry-After), or no file descriptor left to open the files (Retry-After).
  TOO_MANY_DOWNLOADS: 503,
  OUT_OF_DESCRIPTORS: 503,
  NOT_RECORDING: 503,
  STORE_LOCKED: 503,
  STORE_CLOSED: 503,
  SHUTTING_DOWN: 503,
  PROCESSOR_CLOSED: 503,
  LOG_CLOSED: 503,
  DATABASE_UNAVAILABLE: 503,
  INSUFFICIENT_DISK_SPACE: 507,
  // The store could not write (e.g. the disk is full): the original answers 507 to any store failure at start.
  WRITE_FAILED: 507,
  QMDL_WRITE_FAILED: 507,
  INTERNAL: 500,
};

/**
 * Per-route exceptions to the table, where the Rayhunter API fixed a different
 * status: deleting an unknown recording is 400 there, not 404.
 */
export const STATUS_OVERRIDES: ReadonlyArray<{
  readonly method: string;
  readonly path: RegExp;
  readonly code: string;
  readonly status: number;
}> = [{ method: 'POST', path: /^\/api\/delete-recording\//, code: 'NO_SUCH_RECORDING', status: 400 }];

export function statusFor(code: string, method: string, path: string): number {
  for (const o of STATUS_OVERRIDES) if (o.code === code && o.method === method && o.path.test(path)) return o.status;
  const known = STATUS_BY_CODE[code];
  if (known !== undefined) return known;
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
