/**
 * Simulated fleet devices in a process of their own (forked by the fleet
 * bench), so that what the ingest row measures is the central service's work,
 * not the simulator's hashing and JSON: every device's chain is sealed and cut
 * into NDJSON bodies before the start signal, and the devices then POST them
 * over one keep-alive agent, all at once, each waiting for its answer before it
 * sends its next batch (as the shipper does).
 *
 * Protocol (IPC): the parent sends a `FleetDevicesJob`; the child answers
 * `{ready: true}` once the bodies are built, waits for `{go: true}`, and answers
 * a `FleetDevicesResult`.
 */
import http from 'node:http';
import { GENESIS_HASH, type StoredEvent } from '@ledger/domain';
import { hashEvent } from '@ledger/event-log';

export interface FleetDevicesJob {
  /** The central instances: device i ships to `baseUrls[i % n]` (a balancer keeping each device's connection on one). */
  readonly baseUrls: readonly string[];
  readonly devices: ReadonlyArray<{ readonly storeId: string; readonly token: string }>;
  readonly eventsPerDevice: number;
  readonly batchEvents: number;
  /** Connections of the keep-alive agent the devices of one instance share (as behind a load balancer). */
  readonly connections: number;
}

export interface FleetDevicesResult {
  /** From the start signal until every device's last batch was acknowledged. */
  readonly ms: number;
  /** Batches sent again after a 503 or a connection reset. */
  readonly resent: number;
  readonly requests: number;
}

/** The store id of simulated device `i` (the same in the service run and the raw-INSERT baseline). */
export function simulatedStoreId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

/** A device's first `count` events, sealed and hash-chained as its event log stores them, one JSON line each. */
export function sealedChain(storeId: string, count: number): string[] {
  const lines: string[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= count; seq++) {
    const time = new Date(Date.UTC(2024, 0, 1) + seq * 1000).toISOString();
    const event = {
      seq,
      type: 'ClockOffsetSet',
      v: 1,
      time,
      systemTime: time,
      data: { offsetSeconds: seq % 7 },
      metadata: { actor: { kind: 'system' }, correlationId: `${storeId}-${seq}`, bootId: 'bench', appVersion: '0.1.0' },
      prev,
    };
    const sealed = { ...event, hash: hashEvent(event as Omit<StoredEvent, 'hash'>) };
    prev = sealed.hash;
    lines.push(JSON.stringify(sealed));
  }
  return lines;
}

/** A chain cut into the NDJSON bodies of its batches. */
export function batchBodies(lines: readonly string[], batchEvents: number): string[] {
  const bodies: string[] = [];
  for (let from = 0; from < lines.length; from += batchEvents)
    bodies.push(`${lines.slice(from, from + batchEvents).join('\n')}\n`);
  return bodies;
}

function post(
  agent: http.Agent,
  url: URL,
  path: string,
  token: string,
  body: string,
): Promise<{ status: number; text: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/x-ndjson',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', () => resolve(undefined));
      },
    );
    req.on('error', () => resolve(undefined));
    req.end(body);
  });
}

async function ship(job: FleetDevicesJob, bodies: readonly string[][]): Promise<Omit<FleetDevicesResult, 'ms'>> {
  const instances = job.baseUrls.map((baseUrl) => ({
    url: new URL(baseUrl),
    agent: new http.Agent({ keepAlive: true, maxSockets: job.connections, scheduling: 'fifo' }),
  }));
  let resent = 0;
  let requests = 0;
  try {
    await Promise.all(
      job.devices.map(async (device, i) => {
        const { url, agent } = instances[i % instances.length] as (typeof instances)[number];
        const path = `/api/fleet/v1/devices/${device.storeId}/events`;
        for (const body of bodies[i] ?? []) {
          for (;;) {
            requests += 1;
            const res = await post(agent, url, path, device.token, body);
            if (res?.status === 200) break;
            // Requests may wait for one of the service's database connections and time out (503
            // DATABASE_UNAVAILABLE), or a kept-alive connection is reset as the server closes it: a device
            // backs off and resends, as the shipper does.
            if (res !== undefined && res.status !== 503) throw new Error(`ingest answered ${res.status}: ${res.text}`);
            resent += 1;
            await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
          }
        }
      }),
    );
  } finally {
    for (const { agent } of instances) agent.destroy();
  }
  return { resent, requests };
}

function main(): void {
  let bodies: string[][] = [];
  let job: FleetDevicesJob | undefined;
  process.on('message', (message: { job?: FleetDevicesJob; go?: true }) => {
    if (message.job !== undefined) {
      job = message.job;
      const { eventsPerDevice, batchEvents } = job;
      bodies = job.devices.map((d) => batchBodies(sealedChain(d.storeId, eventsPerDevice), batchEvents));
      process.send?.({ ready: true });
    } else if (message.go === true && job !== undefined) {
      const started = performance.now();
      ship(job, bodies).then(
        (counts) => {
          const result: FleetDevicesResult = { ms: performance.now() - started, ...counts };
          process.send?.({ result }, () => process.disconnect());
        },
        (error: unknown) => {
          process.send?.({ error: error instanceof Error ? error.message : String(error) }, () => process.disconnect());
        },
      );
    }
  });
}

if (require.main === module) main();
