import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchContext } from '../harness';
import { buildStore } from './store-fixture';

/** The big store of the cold-start and deep-read figures: 1,000,000 events in 10,000 recordings (100,000 in 1,000 with --quick). */
function bigStoreSize(quick: boolean): { recordings: number; events: number } {
  return quick ? { recordings: 1_000, events: 100_000 } : { recordings: 10_000, events: 1_000_000 };
}

/** The big store, built once per run in the run's shared directory (and reused by every module that needs it). */
export async function bigStore(ctx: BenchContext): Promise<{ dataDir: string; events: number; recordings: number }> {
  const { recordings } = bigStoreSize(ctx.quick);
  const dataDir = path.join(ctx.runDir ?? ctx.tmpDir, `big-store-${recordings}`);
  const marker = path.join(dataDir, '.bench-fixture.json');
  if (!existsSync(marker)) {
    ctx.log(`building the big store: ${recordings} recordings × 100 events…`);
    // 98 data events + start + stop per recording, plus the store's own few events.
    const fixture = await buildStore({ dataDir, recordings, dataEventsPerRecording: 98, log: ctx.log });
    ctx.log(`built ${fixture.events} events in ${fixture.seconds.toFixed(1)} s`);
    writeFileSync(marker, JSON.stringify({ events: fixture.events, recordings }));
  }
  const { events } = JSON.parse(readFileSync(marker, 'utf8')) as { events: number };
  return { dataDir, events, recordings };
}
