/**
 * The V8 heap settings of `serve`, set before anything else loads. main.ts
 * imports this module first, which makes it run first under CommonJS (one
 * `require` per import, in order) and under ESM alike (a module's imports are
 * evaluated in order, each before the next; a statement placed between two
 * imports, as this used to be, runs only after all of them under ESM).
 *
 * For a small, steady footprint (bench/README.md, peak RSS):
 * - the young generation stays at its initial 2 × 1 MiB instead of growing to 2 × 16 MiB
 *   (--semi-space-growth-factor=1): streamed buffers die in frequent scavenges instead of a
 *   full-size young generation holding them;
 * - the old generation may grow to 1.5× what survived the last mark-compact before the next one
 *   (--heap-growing-percent=50; V8 lets a small heap grow up to 4×): under 50 connections polling
 *   the manifest the heap otherwise swelled to pages it kept afterwards. The live heap is small, so
 *   the extra mark-compacts are cheap.
 *
 * Both flags are read whenever V8 sizes a space, so setting them at run time works as long as it
 * happens before the heap has grown (the usual --max-semi-space-size is read only when the heap is
 * created and would need a re-exec). See SemiSpaceNewSpace::Grow and MemoryController::GrowingFactor
 * in V8 11.3 (Node 20): https://github.com/v8/v8/blob/11.3.244.8/src/heap/. The other commands keep
 * V8's defaults.
 */
import v8 from 'node:v8';
import { runsServe } from './serve-invocation';

export const SERVE_V8_FLAGS = ['--semi-space-growth-factor=1', '--heap-growing-percent=50'] as const;

if (runsServe(process.argv)) v8.setFlagsFromString(SERVE_V8_FLAGS.join(' '));
