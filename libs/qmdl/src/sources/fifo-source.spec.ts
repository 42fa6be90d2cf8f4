import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorCodeOf } from '@ledger/domain';
import { generateCapture } from '../synthetic';
import { bytesOf } from '../test-util';
import { createDiagSource } from './create-diag-source';
import type { DiagChunk, DiagSource } from './diag-source';

/**
 * Whether this machine can make a named pipe, decided once when the file is collected: where
 * it cannot (no mkfifo, a file system without fifos), the pipe tests are reported as skipped,
 * with the reason, instead of passing without having run.
 */
function fifoUnsupportedReason(): string | undefined {
  const probeDir = mkdtempSync(path.join(tmpdir(), 'qmdl-fifo-probe-'));
  try {
    execFileSync('mkfifo', [path.join(probeDir, 'probe.fifo')], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mkfifo failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

const noFifo = fifoUnsupportedReason();
if (noFifo !== undefined) console.warn(`fifo-source.spec: named-pipe tests skipped (${noFifo})`);
const withFifo = (name: string, test: () => Promise<void>): void =>
  noFifo === undefined ? it(name, test) : it.skip(`${name} [skipped: ${noFifo}]`, test);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'qmdl-fifo-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function makeFifo(file: string): void {
  execFileSync('mkfifo', [file]);
}

async function drain(source: DiagSource | undefined, signal = new AbortController().signal): Promise<DiagChunk[]> {
  if (!source) throw new Error('no source');
  const chunks: DiagChunk[] = [];
  for await (const chunk of source.chunks(signal)) chunks.push(chunk);
  return chunks;
}

describe('fifo source', () => {
  withFifo('reads a named pipe until the writer closes it, skipping garbage', async () => {
    const fifo = path.join(dir, 'diag.fifo');
    makeFifo(fifo);
    const capture = generateCapture({ seed: 21, messages: 300 });
    const source = createDiagSource(`fifo:${fifo}`);
    const reading = drain(source);
    // The source opens without blocking; the writer can come later.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const writer = createWriteStream(fifo);
    writer.write(Buffer.from([1, 2, 3, 0x7e]));
    writer.write(capture.subarray(0, 1000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    writer.end(capture.subarray(1000));
    const chunks = await reading;
    expect(bytesOf(Buffer.concat(chunks.map((c) => c.frames)))).toEqual(bytesOf(capture));
    expect(source?.stats()).toEqual({ framesOk: 300, framesBad: 1, bytesSkipped: 4, reconnects: 0 });
  });

  withFifo('stops when aborted while no writer has come (it does not wait for one)', async () => {
    const fifo = path.join(dir, 'idle.fifo');
    makeFifo(fifo);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    // No writer ever comes: a source that waited for one would never end (the test's timeout fails it).
    expect(await drain(createDiagSource(`fifo:${fifo}`), controller.signal)).toEqual([]);
  });

  it('reads a plain file of raw QMDL bytes to its end', async () => {
    const file = path.join(dir, 'raw.qmdl');
    const capture = generateCapture({ seed: 22, messages: 100 });
    writeFileSync(file, capture);
    const chunks = await drain(createDiagSource(`fifo:${file}`));
    expect(bytesOf(Buffer.concat(chunks.map((c) => c.frames)))).toEqual(bytesOf(capture));
  });

  it('fails on a missing path with SOURCE_OPEN_FAILED', async () => {
    expect(await errorCodeOf(drain(createDiagSource(`fifo:${path.join(dir, 'nope')}`)))).toBe('SOURCE_OPEN_FAILED');
  });
});
