/** A device for the fleet specs: a real store's recordings, its log exported and shipped to a real central service. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, request, runCli, tempDir, type InProcessServer } from './server';

/**
 * The `serve` arguments of a device that ships as the fleet specs run one: the synthetic source at 300 msg/s,
 * committed every 200 ms or 16 KiB, shipping its log to `shipTo` with `token`.
 */
export function shippingDeviceArgs(device: {
  readonly dataDir: string;
  readonly shipTo: string;
  readonly token: string;
}): string[] {
  return [
    '--data-dir',
    device.dataDir,
    '--source',
    'synthetic:rate=300',
    '--flush-interval-ms',
    '200',
    '--flush-kib',
    '16',
    '--ship-to',
    device.shipTo,
    '--ship-token',
    device.token,
  ];
}

/** Records a recording of some bytes on `device` and returns its name. */
export async function recordOnce(device: InProcessServer): Promise<string> {
  const post = (p: string): Promise<unknown> => request(device.baseUrl, p, { method: 'POST' });
  await post('/api/start-recording');
  await eventually(() => ((device.ledger.state().current?.qmdlSizeBytes ?? 0) > 2_000 ? true : undefined), 60_000);
  const name = device.ledger.state().current?.name ?? '';
  await post('/api/stop-recording');
  return name;
}

/**
 * Enrols a device labelled `label` with `fleet enroll` and ships the whole log of `device` as the
 * real `export --snapshot` wrote it, in one batch; fails unless the central head is the device's.
 * Returns the device token.
 */
export async function shipExported(
  device: InProcessServer,
  central: string,
  db: string,
  label: string,
): Promise<string> {
  const out = path.join(tempDir('qmdl-ledger-fleet-export-'), 'events.ndjson');
  const exported = await runCli(['export', device.dataDir, '--out', out, '--snapshot']);
  if (exported.code !== 0) throw new Error(`export failed: ${exported.stderr}`);
  const token = (await runCli(['fleet', 'enroll', '--db', db, '--label', label])).stdout.trim();
  const storeId = device.ledger.log.metadata.storeId;
  const shipped = await request(central, `/api/fleet/v1/devices/${storeId}/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' },
    body: readFileSync(out),
  });
  const head = device.ledger.log.headSeq();
  if (shipped.status !== 200 || shipped.json<{ head: { seq: number } }>().head.seq !== head)
    throw new Error(`shipping failed: ${shipped.status} ${String(shipped.body)} (device head ${head})`);
  return token;
}
