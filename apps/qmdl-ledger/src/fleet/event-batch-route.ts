import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { LedgerExceptionFilter } from '../http/ledger-exception.filter';
import { STORE_ID } from './devices.service';
import type { EventIngestService } from './event-ingest.service';
import { deviceRequest, MAX_BATCH_BYTES, readBody } from './fleet-ingest.controller';

const PREFIX = '/api/fleet/v1/devices/';
const SUFFIX = '/events';

/**
 * The store id of `POST /api/fleet/v1/devices/{storeId}/events` spelled as devices send it (a
 * valid store id, no escapes, no trailing slash; any query); undefined for anything else, which
 * Express routes as before (the controller's route answers every other spelling of it).
 */
function eventBatchStoreId(req: IncomingMessage): string | undefined {
  const url = req.url;
  if (req.method !== 'POST' || url === undefined || !url.startsWith(PREFIX)) return undefined;
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (!path.endsWith(SUFFIX)) return undefined;
  const storeId = path.slice(PREFIX.length, path.length - SUFFIX.length);
  return STORE_ID.test(storeId) ? storeId : undefined;
}

async function appendBatch(
  events: EventIngestService,
  filter: LedgerExceptionFilter,
  req: IncomingMessage,
  res: ServerResponse,
  storeId: string,
): Promise<void> {
  try {
    const request = deviceRequest(req, storeId);
    const body = JSON.stringify(await events.ingest(request, await readBody(req, MAX_BATCH_BYTES)));
    res.writeHead(200, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  } catch (error) {
    filter.answerJson(error, req, (req.url ?? '').split('?')[0] ?? '', res);
  }
}

/**
 * Serves event batches — nearly every request a shipping fleet makes — on the HTTP server
 * itself, ahead of Express and Nest, whose routing, execution context and response helpers
 * cost more than the batch's own checks at a thousand devices' rate. It is the controller's
 * route (`FleetIngestController.append`: same service, body limit and answers, errors mapped by
 * the one exception filter); every other request goes on to Express unchanged.
 */
export function serveEventBatches(server: Server, events: EventIngestService, filter: LedgerExceptionFilter): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const storeId = eventBatchStoreId(req);
    if (storeId !== undefined) {
      void appendBatch(events, filter, req, res, storeId);
      return;
    }
    for (const listener of listeners) listener(req, res);
  });
}
