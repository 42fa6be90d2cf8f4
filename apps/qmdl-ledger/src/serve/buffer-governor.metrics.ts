import { Counter, Gauge, type Registry } from 'prom-client';
import type { BufferGovernor } from './buffer-governor';

/** The buffer governor's statistics in `/metrics`, read from the governor at each scrape. */
export function registerBufferGovernorMetrics(registry: Registry, governor: BufferGovernor): void {
  const registers = [registry];
  new Gauge({
    name: 'qmdl_ledger_buffer_governor_limit_bytes',
    help: 'ArrayBuffer memory above which the buffer governor collects garbage (--buffer-limit-mb)',
    registers,
    collect() {
      this.set(governor.stats.limitBytes);
    },
  });
  new Gauge({
    name: 'qmdl_ledger_buffer_governor_sampled_bytes',
    help: 'ArrayBuffer memory (process.memoryUsage().arrayBuffers) at the last sample of the buffer governor',
    registers,
    collect() {
      this.set(governor.stats.lastSampleBytes);
    },
  });
  new Counter({
    name: 'qmdl_ledger_buffer_governor_collections_total',
    help: 'Garbage collections the buffer governor asked V8 for, by kind (minor: scavenge, major: mark-compact)',
    labelNames: ['kind'] as const,
    registers,
    collect() {
      const { minor, major } = governor.stats;
      this.reset();
      this.inc({ kind: 'minor' }, minor);
      this.inc({ kind: 'major' }, major);
    },
  });
  new Counter({
    name: 'qmdl_ledger_buffer_governor_failed_samples_total',
    help: 'Buffer governor samples skipped because reading the memory failed (e.g. EMFILE)',
    registers,
    collect() {
      this.reset();
      this.inc(governor.stats.failedSamples);
    },
  });
}
