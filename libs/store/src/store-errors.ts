import type { DATA_DIR_UNUSABLE } from './data-dir';

/** The codes the store library throws itself (shipping has its own, `ShippingErrorCode`). */
export type StoreErrorCode =
  /** A command arrived after the processor closed (shutdown). */
  | 'PROCESSOR_CLOSED'
  /** A point-in-time read at a sequence past the head of the log. */
  | 'SEQUENCE_PAST_HEAD'
  | typeof DATA_DIR_UNUSABLE;

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    store: StoreErrorCode;
  }
}
