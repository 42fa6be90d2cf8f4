import { LedgerError } from '@ledger/domain';

/** A device's head on the central side. */
export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
}

/** The files of a recording the shipper sends (the fleet protocol's `?file=`). */
export type ShippedFile = 'qmdl' | 'gps' | 'analysis';

/** What the central side answered a batch of events. */
export type EventsAnswer =
  | { readonly ok: true; readonly head: ChainHead }
  | { readonly ok: false; readonly head: ChainHead; readonly fork?: { readonly seq: number } };

/**
 * What the central side answered an upload: the bytes it holds (of the report version sent, for a
 * versioned report); `ok: false` when the offset was past them (resume from `size`), or, with
 * `stale`, when it holds a newer report than the version sent (nothing of it is stored).
 */
export type DataAnswer =
  { readonly ok: true; readonly size: number } | { readonly ok: false; readonly size: number; readonly stale?: true };

/**
 * Which analysis a report belongs to (the `analysisId` of its RecordingAnalysisCompleted) and its
 * whole length: the central side serves the stored version until a newer one has arrived whole.
 */
export interface ReportVersion {
  readonly version: string;
  readonly length: number;
}

/** Codes of a shipping failure (stable; `GET /api/shipping` shows the last one). */
export const ShippingErrorCode = {
  /** The central service or the network is down, or it answered 5xx: retried with backoff. */
  SHIP_UNREACHABLE: 'SHIP_UNREACHABLE',
  /** The central service refused the device (401/403: token unknown or bound to another store) or a request (4xx): retried slowly. */
  SHIP_REFUSED: 'SHIP_REFUSED',
  /** The central history of this device differs from the local one (a fork): nothing more is shipped until it is resolved. */
  CHAIN_FORKED: 'CHAIN_FORKED',
} as const;

export type ShippingErrorCode = (typeof ShippingErrorCode)[keyof typeof ShippingErrorCode];

declare module '@ledger/domain' {
  interface LedgerErrorCodes {
    shipping: ShippingErrorCode;
  }
}

/**
 * The central side as the shipper sees it: the fleet protocol's four calls.
 * `HttpFleetTarget` speaks it over HTTP; tests may plug in their own.
 *
 * @example
 * const target = new HttpFleetTarget({ baseUrl: 'http://fleet:8090', token, storeId: ledger.log.metadata.storeId });
 * const head = await target.head();
 */
export interface FleetTarget {
  /** The central base URL, for the status and `RecordingUploaded.target`. */
  readonly url: string;
  head(): Promise<ChainHead>;
  /** `ndjson`: stored event texts, one per line. */
  sendEvents(ndjson: string): Promise<EventsAnswer>;
  /** The bytes held of a file; with `version` (an analysis report's), the bytes held of that version. */
  fileSize(name: string, file: ShippedFile, version?: string): Promise<number>;
  putData(name: string, file: ShippedFile, offset: number, bytes: Buffer, report?: ReportVersion): Promise<DataAnswer>;
}

export interface HttpFleetTargetOptions {
  readonly baseUrl: string;
  readonly token: string;
  readonly storeId: string;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
  /** The device's head, sent as `X-Ledger-Head-Seq` so the fleet view can show the lag. */
  readonly headSeq?: () => number;
  /**
   * The committed recording bytes not shipped yet (the shipper's `lagBytes`), sent as
   * `X-Ledger-Lag-Bytes` — for an upload, less the bytes it carries — so the fleet view shows the lag in bytes.
   */
  readonly lagBytes?: () => number;
}

/** The fleet protocol (`/api/fleet/v1`) over HTTP with the device token as Bearer. */
export class HttpFleetTarget implements FleetTarget {
  readonly url: string;
  private readonly base: string;

  constructor(private readonly options: HttpFleetTargetOptions) {
    this.url = options.baseUrl.replace(/\/+$/, '');
    this.base = `${this.url}/api/fleet/v1/devices/${encodeURIComponent(options.storeId)}`;
  }

  async head(): Promise<ChainHead> {
    const res = await this.call('GET', '/head');
    return ((await res.json()) as { head: ChainHead }).head;
  }

  async sendEvents(ndjson: string): Promise<EventsAnswer> {
    const res = await this.call('POST', '/events', ndjson, 'application/x-ndjson', [409]);
    const body = (await res.json()) as { head: ChainHead; fork?: { seq: number } };
    return res.status === 409
      ? { ok: false, head: body.head, ...(body.fork ? { fork: body.fork } : {}) }
      : { ok: true, head: body.head };
  }

  async fileSize(name: string, file: ShippedFile, version?: string): Promise<number> {
    const query = version === undefined ? '' : `&version=${encodeURIComponent(version)}`;
    const res = await this.call('GET', `/recordings/${name}/data/size?file=${file}${query}`);
    return ((await res.json()) as { size: number }).size;
  }

  async putData(
    name: string,
    file: ShippedFile,
    offset: number,
    bytes: Buffer,
    report?: ReportVersion,
  ): Promise<DataAnswer> {
    const query = report === undefined ? '' : `&version=${encodeURIComponent(report.version)}&length=${report.length}`;
    const res = await this.call(
      'PUT',
      `/recordings/${name}/data?offset=${offset}&file=${file}${query}`,
      bytes,
      'application/octet-stream',
      [409],
      bytes.length,
    );
    const body = (await res.json()) as { size: number; code?: string };
    if (res.status === 200) return { ok: true, size: body.size };
    return body.code === 'STALE_REPORT_VERSION'
      ? { ok: false, size: body.size, stale: true }
      : { ok: false, size: body.size };
  }

  private async call(
    method: string,
    path: string,
    body?: string | Buffer,
    contentType?: string,
    expected: readonly number[] = [],
    carried = 0,
  ): Promise<Response> {
    const lag = this.options.lagBytes === undefined ? undefined : Math.max(0, this.options.lagBytes() - carried);
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.options.token}`,
          ...(contentType !== undefined ? { 'content-type': contentType } : {}),
          ...(this.options.headSeq !== undefined ? { 'x-ledger-head-seq': String(this.options.headSeq()) } : {}),
          ...(lag !== undefined ? { 'x-ledger-lag-bytes': String(lag) } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new LedgerError(
        ShippingErrorCode.SHIP_UNREACHABLE,
        `${method} ${this.url}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    if (res.ok || expected.includes(res.status)) return res;
    const text = await res.text().catch(() => '');
    let code = '';
    try {
      code = String((JSON.parse(text) as { code?: unknown }).code ?? '');
    } catch {
      code = '';
    }
    const shippingCode =
      res.status >= 500 || res.status === 408 || res.status === 429
        ? ShippingErrorCode.SHIP_UNREACHABLE
        : ShippingErrorCode.SHIP_REFUSED;
    throw new LedgerError(shippingCode, `${method} ${path} answered ${res.status}${code ? ` ${code}` : ''}`, {
      details: { status: res.status, code },
    });
  }
}
