import { buildDiagLogMessage, encodeHdlcFrame } from '@ledger/qmdl';
import type { UnreadableReason } from '../radio-message';

/**
 * LTE RRC OTA bodies laid out by hand per ext header version (0–4, 5–7, 8–24,
 * 25+), so the specs do not build their input with the parser's own layout.
 */
export function rrcBody(options: {
  version: number;
  pdu: number;
  earfcn?: number;
  sfnSubfn?: number;
  pci?: number;
  payload?: Buffer;
}): Buffer {
  const { version, pdu, earfcn = 100, sfnSubfn = 0, pci = 1, payload = Buffer.from([0x40, 0x01]) } = options;
  const bytes: number[] = [version, 15, 2];
  if (version >= 25) bytes.push(16, 1);
  bytes.push(0, pci & 0xff, pci >> 8);
  if (version >= 8) bytes.push(earfcn & 0xff, (earfcn >> 8) & 0xff, (earfcn >> 16) & 0xff, earfcn >>> 24);
  else bytes.push(earfcn & 0xff, (earfcn >> 8) & 0xff);
  bytes.push(sfnSubfn & 0xff, sfnSubfn >> 8, pdu);
  if (version >= 5) bytes.push(0, 0, 0, 0);
  bytes.push(payload.length & 0xff, payload.length >> 8);
  return Buffer.concat([Buffer.from(bytes), payload]);
}

/** One HDLC frame of a diag log message. */
export function logFrame(logCode: number, body: Buffer, timeMs = Date.UTC(2024, 0, 2, 3, 4, 5, 678)): Buffer {
  return encodeHdlcFrame(buildDiagLogMessage({ logCode, body, timeMs }));
}

/** The same log message inside a multi-radio (0x98) wrapper. */
export function multiRadioFrame(radioId: number, logCode: number, body: Buffer, timeMs?: number): Buffer {
  const header = Buffer.from([0x98, 1, 0, 0, radioId & 0xff, 0, 0, 0]);
  const inner = buildDiagLogMessage({ logCode, body, timeMs: timeMs ?? Date.UTC(2024, 0, 2, 3, 4, 5, 678) });
  return encodeHdlcFrame(Buffer.concat([header, inner]));
}

/** Hex without spaces, for the SCAT/Rayhunter vectors. */
export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/**
 * Frames the message layer cannot read, each with the reason it must give,
 * made from `good` (one valid log frame without escapes): a bad CRC, a bad
 * escape, a frame too short to hold a CRC, a log message longer than its frame,
 * an LTE RRC OTA log of an unknown layout version and one of an unknown PDU
 * number. `cut` is `good` without its last bytes and flag: a cut last frame.
 */
export function unreadableFrames(good: Buffer): {
  frames: { readonly bytes: Buffer; readonly reason: UnreadableReason }[];
  cut: Buffer;
} {
  if (good.indexOf(0x7d) >= 0 || good.indexOf(0x7e) !== good.length - 1)
    throw new TypeError('unreadableFrames: the good frame must have no escapes');
  // A flipped bit in the CRC's first byte (kept away from the flag and escape values).
  const badCrc = Buffer.from(good);
  const at = good.length - 3;
  let flipped = (good[at] as number) ^ 0x01;
  if (flipped === 0x7e || flipped === 0x7d) flipped ^= 0x02;
  badCrc[at] = flipped;
  const truncated = buildDiagLogMessage({
    logCode: 0xb0c0,
    body: rrcBody({ version: 15, pdu: 2 }),
    timeMs: Date.UTC(2024, 0, 2, 3, 4, 5, 678),
  });
  truncated.writeUInt16LE(truncated.readUInt16LE(2) + 10, 2);
  return {
    frames: [
      { bytes: badCrc, reason: 'HDLC_BAD_CRC' },
      { bytes: Buffer.from([0x10, 0x00, 0x7d, 0x11, 0x00, 0x00, 0x7e]), reason: 'HDLC_BAD_ESCAPE' },
      { bytes: Buffer.from([0x10, 0x7e]), reason: 'HDLC_TOO_SHORT' },
      { bytes: encodeHdlcFrame(truncated), reason: 'MESSAGE_TRUNCATED' },
      { bytes: logFrame(0xb0c0, rrcBody({ version: 5, pdu: 2 })), reason: 'LTE_RRC_UNKNOWN_VERSION' },
      { bytes: logFrame(0xb0c0, rrcBody({ version: 15, pdu: 3 })), reason: 'LTE_RRC_UNKNOWN_PDU' },
    ],
    cut: good.subarray(0, good.length - 3),
  };
}
