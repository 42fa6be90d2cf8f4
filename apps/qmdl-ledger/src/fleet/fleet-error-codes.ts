/** The codes the fleet service answers with (ingest, devices, views); its statuses are in `http/error-codes.ts`. */
export type FleetErrorCode =
  /** A device token used for another store than the one it is bound to. */
  | 'WRONG_DEVICE'
  | 'NO_SUCH_DEVICE'
  /** The batch does not extend the central head (the answer carries `head`). */
  | 'CHAIN_MISMATCH'
  /** An upload offset past the stored size (the answer carries `size`). */
  | 'OFFSET_MISMATCH'
  /** An analysis report older than the stored one (the answer carries `size` and `version`, the stored one's): nothing changes. */
  | 'STALE_REPORT_VERSION'
  /** A `version` (or `length`) of an analysis report upload that is not well formed. */
  | 'INVALID_REPORT_VERSION'
  /** A report version that no shipped RecordingAnalysisCompleted of the recording names. */
  | 'UNKNOWN_REPORT_VERSION'
  /** A report upload whose length differs from the one given before for its version, or whose bytes run past it. */
  | 'REPORT_LENGTH_MISMATCH'
  /** A download's analysis report replaced by a newer version while it streamed: the download is cut (never mixed). */
  | 'REPORT_REPLACED'
  /** A shipped event whose hash or link does not verify: nothing of the batch is stored. */
  | 'EVENT_HASH_MISMATCH'
  /** A first event that creates another store than the device's. */
  | 'STORE_ID_MISMATCH'
  /** A batch line that is not a stored event, or out of sequence. */
  | 'INVALID_EVENT_BATCH'
  | 'INVALID_STORE_ID'
  | 'INVALID_LABEL'
  | 'DATABASE_UNAVAILABLE';
