import { StringDecoder } from 'node:string_decoder';
import type { PoolClient } from 'pg';
import { SEVERITIES } from '@ledger/analysis';

/** The severities of a Rayhunter v2 report's events that are warnings (Informational is not), lowest first: the analysis' order. */
export const WARNING_SEVERITIES: readonly string[] = SEVERITIES.filter((s) => s !== 'Informational');

interface ReportRow {
  readonly packet_timestamp?: unknown;
  readonly events?: unknown;
}

interface Warning {
  readonly line: number;
  readonly idx: number;
  readonly packetTimestamp: string | null;
  readonly severity: string;
  readonly message: string;
}

/** The warnings of one report line (report v2: `{packet_timestamp, skipped_message_reason, events: [null | {event_type, message}]}`). */
export function warningsOfLine(text: string, line: number): Warning[] {
  let row: ReportRow;
  try {
    row = JSON.parse(text) as ReportRow;
  } catch {
    return [];
  }
  if (row === null || typeof row !== 'object' || !Array.isArray(row.events)) return [];
  const time =
    typeof row.packet_timestamp === 'string' && !Number.isNaN(Date.parse(row.packet_timestamp))
      ? row.packet_timestamp
      : null;
  const out: Warning[] = [];
  row.events.forEach((event: unknown, idx: number) => {
    const e = event as { event_type?: unknown; message?: unknown } | null;
    if (e === null || typeof e !== 'object' || typeof e.message !== 'string') return;
    if (typeof e.event_type !== 'string' || !WARNING_SEVERITIES.includes(e.event_type)) return;
    out.push({ line, idx, packetTimestamp: time, severity: String(e.event_type), message: e.message.slice(0, 2000) });
  });
  return out;
}

/**
 * Re-indexes the warnings of one recording's shipped analysis report, in the
 * caller's transaction: the report is read back from its chunk rows a few at a
 * time and split into lines (a line may span chunks), so memory stays bounded
 * by the longest line. The first line is the report's metadata.
 */
export async function indexWarnings(client: PoolClient, storeId: string, name: string): Promise<number> {
  await client.query('DELETE FROM fleet_warnings WHERE store_id = $1 AND name = $2', [storeId, name]);
  let pending: Warning[] = [];
  let total = 0;
  const flush = async (): Promise<void> => {
    if (pending.length === 0) return;
    await client.query(
      `INSERT INTO fleet_warnings (store_id, name, line, idx, packet_timestamp, severity, message)
       SELECT $1, $2, * FROM unnest($3::int[], $4::int[], $5::timestamptz[], $6::text[], $7::text[])`,
      [
        storeId,
        name,
        pending.map((w) => w.line),
        pending.map((w) => w.idx),
        pending.map((w) => w.packetTimestamp),
        pending.map((w) => w.severity),
        pending.map((w) => w.message),
      ],
    );
    total += pending.length;
    pending = [];
  };
  let carry = '';
  // A UTF-8 character may be split between two chunk rows.
  const decoder = new StringDecoder('utf8');
  let line = 0;
  let from = 0;
  const take = async (text: string): Promise<void> => {
    line += 1;
    if (line > 1) pending.push(...warningsOfLine(text, line));
    if (pending.length >= 1000) await flush();
  };
  for (;;) {
    const rows = (
      await client.query<{ offset: string; data: Buffer }>(
        'SELECT "offset", data FROM fleet_recording_chunks WHERE store_id = $1 AND name = $2 AND file = \'analysis\' AND "offset" >= $3 ORDER BY "offset" LIMIT 4',
        [storeId, name, from],
      )
    ).rows;
    for (const row of rows) {
      const parts = (carry + decoder.write(row.data)).split('\n');
      carry = parts.pop() ?? '';
      for (const part of parts) await take(part);
      from = Number(row.offset) + row.data.length;
    }
    if (rows.length < 4) break;
  }
  carry += decoder.end();
  if (carry.trim() !== '') await take(carry);
  await flush();
  // The device row's counts per severity (the devices list), from the table just written.
  await client.query(
    `UPDATE fleet_devices SET warnings = coalesce(
       (SELECT jsonb_object_agg(severity, n) FROM
          (SELECT severity, count(*)::int AS n FROM fleet_warnings WHERE store_id = $1 GROUP BY severity) s), '{}')
      WHERE store_id = $1`,
    [storeId],
  );
  return total;
}
