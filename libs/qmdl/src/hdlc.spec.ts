import { crc16X25 } from './crc16';
import { decodeHdlcFrame, encodeHdlcFrame } from './hdlc';
import { mulberry32 } from '@ledger/domain';
import { DIAG_FRAME_VECTOR, SMALL_FRAME, SMALL_PAYLOAD } from './test-vectors';
import { errorCodeOf } from '@ledger/domain';

describe('CRC-16/X-25', () => {
  it('has the catalogue check value 0x906E for "123456789"', () => {
    expect(crc16X25(Buffer.from('123456789', 'ascii'))).toBe(0x906e);
  });

  it('is 0x0000 for no bytes (init and xorout cancel)', () => {
    expect(crc16X25(Buffer.alloc(0))).toBe(0x0000);
  });
});

describe('HDLC framing', () => {
  it('encodes payload 01 02 03 04 as 01 02 03 04 91 39 7E', () => {
    expect(encodeHdlcFrame(SMALL_PAYLOAD)).toEqual(SMALL_FRAME);
    expect(decodeHdlcFrame(SMALL_FRAME)).toEqual(SMALL_PAYLOAD);
  });

  it('decodes the 39-byte diag frame (CRC 0xC40D over 36 bytes) and re-encodes it byte for byte', () => {
    const payload = decodeHdlcFrame(DIAG_FRAME_VECTOR);
    expect(payload.length).toBe(36);
    expect(crc16X25(payload)).toBe(0xc40d);
    expect(encodeHdlcFrame(payload)).toEqual(DIAG_FRAME_VECTOR);
  });

  it('escapes 0x7E and 0x7D in the payload and in the CRC', () => {
    expect(encodeHdlcFrame(Buffer.from([0x7e, 0x7d, 0x00]))).toEqual(
      Buffer.concat([
        Buffer.from([0x7d, 0x5e, 0x7d, 0x5d, 0x00]),
        crcBytesEscaped(Buffer.from([0x7e, 0x7d, 0x00])),
        Buffer.from([0x7e]),
      ]),
    );
    // Find a payload whose CRC contains a byte that needs escaping, and check it round-trips.
    const random = mulberry32(11);
    let found = 0;
    for (let i = 0; i < 5000 && found < 5; i++) {
      const payload = Buffer.from([Math.floor(random() * 256), Math.floor(random() * 256), Math.floor(random() * 256)]);
      const crc = crc16X25(payload);
      if ([crc & 0xff, crc >>> 8].some((b) => b === 0x7e || b === 0x7d)) {
        found++;
        const frame = encodeHdlcFrame(payload);
        expect(frame.indexOf(0x7e)).toBe(frame.length - 1);
        expect(decodeHdlcFrame(frame)).toEqual(payload);
      }
    }
    expect(found).toBe(5);
  });

  it('round-trips any payload, and a frame never contains 0x7E before its end (property, seeded)', () => {
    const random = mulberry32(2024);
    for (let i = 0; i < 2000; i++) {
      const length = Math.floor(random() * 300);
      const payload = Buffer.alloc(length);
      // Bias towards the special bytes so escapes are common.
      for (let j = 0; j < length; j++)
        payload[j] = random() < 0.2 ? (random() < 0.5 ? 0x7e : 0x7d) : Math.floor(random() * 256);
      const frame = encodeHdlcFrame(payload);
      expect(frame.indexOf(0x7e)).toBe(frame.length - 1);
      expect(decodeHdlcFrame(frame)).toEqual(payload);
    }
  });

  it('accepts an empty payload (the 3-byte minimum frame)', () => {
    const frame = encodeHdlcFrame(Buffer.alloc(0));
    expect(frame.length).toBe(3);
    expect(decodeHdlcFrame(frame).length).toBe(0);
  });

  it('rejects a frame whose CRC does not match: HDLC_BAD_CRC', () => {
    const frame = Buffer.from(DIAG_FRAME_VECTOR);
    frame[20] = (frame[20] ?? 0) ^ 0x01;
    expect(errorCodeOf(() => decodeHdlcFrame(frame))).toBe('HDLC_BAD_CRC');
  });

  it('rejects 0x7D followed by anything but 5E/5D, or at the end: HDLC_BAD_ESCAPE', () => {
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([1, 0x7d, 0x01, 2, 3, 0x7e])))).toBe('HDLC_BAD_ESCAPE');
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([1, 2, 3, 0x7d, 0x7e])))).toBe('HDLC_BAD_ESCAPE');
  });

  it('rejects fewer than 3 bytes: HDLC_TOO_SHORT', () => {
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([0x7e])))).toBe('HDLC_TOO_SHORT');
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([0x12, 0x7e])))).toBe('HDLC_TOO_SHORT');
  });

  it('rejects a frame without its closing flag, or with a flag inside: HDLC_BAD_FLAG', () => {
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([1, 2, 3, 4, 0x91, 0x39])))).toBe('HDLC_BAD_FLAG');
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.from([1, 0x7e, 3, 4, 0x91, 0x39, 0x7e])))).toBe('HDLC_BAD_FLAG');
    expect(errorCodeOf(() => decodeHdlcFrame(Buffer.alloc(0)))).toBe('HDLC_BAD_FLAG');
  });

  it('treats a non-Buffer argument as a programming error (TypeError)', () => {
    expect(() => encodeHdlcFrame('abc' as unknown as Buffer)).toThrow(TypeError);
    expect(() => decodeHdlcFrame([1, 2] as unknown as Buffer)).toThrow(TypeError);
  });
});

function crcBytesEscaped(payload: Buffer): Buffer {
  const crc = crc16X25(payload);
  const out: number[] = [];
  for (const b of [crc & 0xff, crc >>> 8]) {
    if (b === 0x7e || b === 0x7d) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  return Buffer.from(out);
}

describe('CRC-16/X-25 fast path', () => {
  it('agrees with the bit-by-bit definition for every length and offset (property, seeded)', () => {
    const bitwise = (data: Buffer): number => {
      let crc = 0xffff;
      for (const byte of data) {
        crc ^= byte;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x8408 : crc >>> 1;
      }
      return crc ^ 0xffff;
    };
    const random = mulberry32(77);
    const data = Buffer.from(Array.from({ length: 600 }, () => Math.floor(random() * 256)));
    for (let start = 0; start < 9; start++) {
      for (let length = 0; length < 80; length++) {
        expect(crc16X25(data, start, start + length)).toBe(bitwise(data.subarray(start, start + length)));
      }
    }
    expect(crc16X25(data)).toBe(bitwise(data));
  });
});
