import { writeError } from './errors';

describe('writeError', () => {
  it('names a full disk ENOSPC, whether LevelDB says it in a message or a file write in its code', () => {
    const level = Object.assign(new Error('IO error: /data/ledger/000003.log: No space left on device'), {
      code: 'LEVEL_IO_ERROR',
    });
    for (const cause of [
      level,
      new Error('batch failed', { cause: level }),
      Object.assign(new Error('write failed'), { code: 'ENOSPC' }),
    ]) {
      const error = writeError(cause);
      expect(error).toMatchObject({ code: 'WRITE_FAILED', details: { errno: 'ENOSPC' } });
      expect(error.message).toMatch(/ENOSPC/);
      expect(error.cause).toBe(cause);
    }
  });

  it('leaves other failures as they are', () => {
    const cause = Object.assign(new Error('IO error: checksum mismatch'), { code: 'LEVEL_IO_ERROR' });
    const error = writeError(cause);
    expect(error).toMatchObject({ code: 'WRITE_FAILED', message: 'the append was not written' });
    expect(error.details?.['errno']).toBeUndefined();
  });
});
