import type { Direction, GsmRrChannel } from './radio-message';

/** Log code of the GSM RR signalling message log. */
export const LOG_CODE_GSM_RR_SIGNALLING = 0x512f;

const CHANNELS: readonly GsmRrChannel[] = ['DCCH', 'BCCH', 'RACH', 'CCCH', 'SACCH'];

export interface GsmRrLog {
  readonly channel: GsmRrChannel;
  readonly direction: Direction;
  readonly messageType: number;
  readonly payload: Buffer;
}

/**
 * Parses a GSM RR signalling log body (0x512F): u8 channel and direction (bit 7
 * set = downlink, low 7 bits the channel: 0 DCCH, 1 BCCH, 2 RACH, 3 CCCH,
 * 4 SACCH), u8 RR message type, u8 length, then the layer-3 message (on BCCH and
 * CCCH with its L2 pseudo length, as broadcast).
 */
export function parseGsmRrLog(body: Buffer): GsmRrLog | 'truncated' | 'unknown-channel' | 'bad-length' {
  if (body.length < 3) return 'truncated';
  const channelAndDirection = body[0] as number;
  const channel = CHANNELS[channelAndDirection & 0x7f];
  if (channel === undefined) return 'unknown-channel';
  const length = body[2] as number;
  // The log's length must match its bytes: anything else is a layout we do not know.
  if (body.length - 3 !== length) return 'bad-length';
  return {
    channel,
    direction: (channelAndDirection & 0x80) !== 0 ? 'downlink' : 'uplink',
    messageType: body[1] as number,
    payload: body.subarray(3),
  };
}
