import { buildDiagLogMessage, encodeHdlcFrame } from '@ledger/qmdl';

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
