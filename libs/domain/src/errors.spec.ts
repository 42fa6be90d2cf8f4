import { LedgerError, isLedgerError } from '@ledger/domain';

describe('LedgerError', () => {
  it('carries a stable code and keeps the cause', () => {
    const cause = new Error('LEVEL_LOCKED');
    const error = new LedgerError('STORE_LOCKED', 'store is in use by another process', { cause });
    expect(isLedgerError(error, 'STORE_LOCKED')).toBe(true);
    expect(isLedgerError(error, 'OTHER')).toBe(false);
    expect(error.cause).toBe(cause);
  });
});
