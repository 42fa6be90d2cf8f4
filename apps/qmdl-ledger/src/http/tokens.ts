/** DI tokens of the HTTP app. The Ledger is opened by `serve` (or a test) and handed in. */
export const LEDGER = Symbol('LEDGER');
export const HTTP_CONFIG = Symbol('HTTP_CONFIG');
