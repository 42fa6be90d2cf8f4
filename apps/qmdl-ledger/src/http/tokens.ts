/** DI tokens of the HTTP app. The Ledger is opened by `serve` (or a test) and handed in. */
export const LEDGER = Symbol('LEDGER');
export const HTTP_CONFIG = Symbol('HTTP_CONFIG');
/** The limits of streamed downloads (`Partial<StreamedDownloadLimits>`): the device's and the fleet's app each provide theirs. */
export const DOWNLOAD_LIMITS = Symbol('DOWNLOAD_LIMITS');
