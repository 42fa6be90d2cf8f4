import type { Upcaster } from '@ledger/event-log';

/**
 * GpsFixRecorded v1 `{lat, lon, fixTime?}` → v2 `{lat, lon, fixTime?, source}`.
 * Every v1 fix came from `POST /api/gps`: the device's own receiver was not read
 * before v2, so `source` is `'api'`.
 */
export const gpsFixRecordedV1ToV2: Upcaster = {
  type: 'GpsFixRecorded',
  fromVersion: 1,
  upcast: (data) => {
    const v1 = data as { readonly lat: number; readonly lon: number; readonly fixTime?: string };
    return { ...v1, source: 'api' };
  },
};
