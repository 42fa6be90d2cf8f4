import { LedgerError } from '../errors';
import { errorCodeOf, NOT_A_LEDGER_ERROR } from './error-code';

describe('errorCodeOf', () => {
  const coded = (): never => {
    throw new LedgerError('NO_SUCH_RECORDING', 'refused');
  };

  it('reads the code a function throws, and undefined when it returns', () => {
    expect(errorCodeOf(coded)).toBe('NO_SUCH_RECORDING');
    expect(errorCodeOf(() => 1)).toBeUndefined();
  });

  it('reads the code a promise or an async function rejects with, and undefined when it resolves', async () => {
    expect(await errorCodeOf(Promise.reject(new LedgerError('NO_SUCH_RECORDING', 'refused')))).toBe(
      'NO_SUCH_RECORDING',
    );
    expect(await errorCodeOf(async () => coded())).toBe('NO_SUCH_RECORDING');
    expect(await errorCodeOf(Promise.resolve(1))).toBeUndefined();
  });

  it('never lets an uncoded error pass for a coded one', async () => {
    const plain = Object.assign(new Error('boom'), { code: 'NO_SUCH_RECORDING' });
    expect(
      errorCodeOf(() => {
        throw plain;
      }),
    ).toBe(NOT_A_LEDGER_ERROR);
    expect(await errorCodeOf(Promise.reject(plain))).toBe(NOT_A_LEDGER_ERROR);
  });
});
