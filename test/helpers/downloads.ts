/**
 * What the download-limit specs of `serve` and `fleet` share: a store whose
 * one recording is far larger than loopback socket buffers take in, and a
 * client that takes a download's headers and then reads nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { tempDir } from './server';

export const RECORDING = '1700000000';
export const RAW_BYTES = 64 * 1024 * 1024;

/**
 * A data directory holding one finished 64 MiB (raw) recording, adopted at
 * start-up: far more than loopback socket buffers take in, so a download whose
 * client does not read stays open on the server.
 */
export function storeWithLargeRecording(): string {
  const dataDir = tempDir('qmdl-ledger-limits-');
  mkdirSync(path.join(dataDir, 'qmdl'), { recursive: true });
  writeFileSync(
    path.join(dataDir, 'qmdl', `${RECORDING}.qmdl.gz`),
    zlib.gzipSync(Buffer.alloc(RAW_BYTES, 0x7e), { level: 1 }),
  );
  return dataDir;
}

export interface HeldDownload {
  /** Status of the response (0: the connection was refused or cut before one). */
  readonly status: Promise<number>;
  readonly headers: Promise<http.IncomingHttpHeaders>;
  /** Resolves with the bytes received once the connection is gone. */
  readonly closed: Promise<number>;
  /** Start reading again (what the server sent before it gave up is still in the socket buffers). */
  resume(): void;
  close(): void;
}

/** A download whose client takes the headers and then reads nothing. */
export function stalledDownload(baseUrl: string, urlPath = `/api/qmdl/${RECORDING}`): HeldDownload {
  const url = new URL(baseUrl);
  let received = 0;
  let resolveStatus!: (s: number) => void;
  let resolveHeaders!: (h: http.IncomingHttpHeaders) => void;
  let resolveClosed!: (n: number) => void;
  const status = new Promise<number>((r) => (resolveStatus = r));
  const headers = new Promise<http.IncomingHttpHeaders>((r) => (resolveHeaders = r));
  const closed = new Promise<number>((r) => (resolveClosed = r));
  let response: http.IncomingMessage | undefined;
  const req = http.get({ host: url.hostname, port: url.port, path: urlPath, agent: false }, (res) => {
    response = res;
    resolveStatus(res.statusCode ?? 0);
    resolveHeaders(res.headers);
    if (res.statusCode === 200) {
      // Take what already arrived, then stop reading: the socket's buffers fill and stay full.
      const first = (chunk: Buffer): void => {
        received += chunk.length;
        res.pause();
        res.off('data', first);
        res.on('data', (more: Buffer) => (received += more.length));
      };
      res.on('data', first);
    } else {
      res.resume();
    }
    res.on('error', () => undefined);
    res.on('close', () => resolveClosed(received));
  });
  req.on('error', () => {
    resolveStatus(0);
    resolveHeaders({});
    resolveClosed(received);
  });
  req.on('close', () => resolveClosed(received));
  return { status, headers, closed, resume: () => response?.resume(), close: () => req.destroy() };
}
