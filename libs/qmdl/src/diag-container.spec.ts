import { DIAG_DATA_TYPE_USER_SPACE, buildDiagContainer, containerFrames, parseDiagContainer } from './diag-container';
import { DIAG_FRAME_VECTOR, SMALL_FRAME } from './test-vectors';
import { errorCodeOf } from '@ledger/domain';

describe('/dev/diag containers', () => {
  it('lay out u32 data_type, u32 num_messages, then {u32 len, data} and parse back', () => {
    const container = buildDiagContainer({ messages: [DIAG_FRAME_VECTOR, SMALL_FRAME] });
    expect(container.readUInt32LE(0)).toBe(32);
    expect(container.readUInt32LE(4)).toBe(2);
    expect(container.readUInt32LE(8)).toBe(39);
    expect(container.length).toBe(8 + 4 + 39 + 4 + 7);
    const parsed = parseDiagContainer(container);
    expect(parsed.dataType).toBe(DIAG_DATA_TYPE_USER_SPACE);
    expect(parsed.messages).toEqual([DIAG_FRAME_VECTOR, SMALL_FRAME]);
    expect(containerFrames(parsed)).toEqual(Buffer.concat([DIAG_FRAME_VECTOR, SMALL_FRAME]));
  });

  it('handles an empty container and other data types', () => {
    expect(parseDiagContainer(buildDiagContainer({ messages: [], dataType: 7 }))).toEqual({
      dataType: 7,
      messages: [],
    });
  });

  it('reports every kind of truncation as DIAG_CONTAINER_TRUNCATED', () => {
    const container = buildDiagContainer({ messages: [DIAG_FRAME_VECTOR, SMALL_FRAME] });
    for (const cut of [0, 4, 7, 8, 10, 12, 50, container.length - 1]) {
      expect(errorCodeOf(() => parseDiagContainer(container.subarray(0, cut)))).toBe('DIAG_CONTAINER_TRUNCATED');
    }
    const absurd = Buffer.alloc(16);
    absurd.writeUInt32LE(32, 0);
    absurd.writeUInt32LE(0xffffffff, 4);
    expect(errorCodeOf(() => parseDiagContainer(absurd))).toBe('DIAG_CONTAINER_TRUNCATED');
  });
});
