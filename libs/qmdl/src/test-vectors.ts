/**
 * Test vectors of the QMDL byte layer (HDLC framing, CRC-16/X-25, diag
 * containers), checked against the original daemon, https://github.com/EFForg/rayhunter.
 * Shared by specs; not part of the public API.
 */

/** Payload 01 02 03 04 and its frame. */
export const SMALL_PAYLOAD = Buffer.from([1, 2, 3, 4]);
export const SMALL_FRAME = Buffer.from([1, 2, 3, 4, 0x91, 0x39, 0x7e]);

/** A complete 39-byte diag log frame: an LTE RRC OTA log message (CRC 0xC40D over its 36 payload bytes). */
export const DIAG_FRAME_VECTOR = Buffer.from(
  '16 0 32 0 32 0 192 176 26 165 245 135 118 35 2 1 20 14 48 0 160 0 2 8 0 0 217 15 5 0 0 0 0 1 0 10 13 196 126'
    .split(' ')
    .map(Number),
);
