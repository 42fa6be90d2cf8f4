import { ANALYZERS, DEFAULT_ANALYZER_CONFIG, type AnalyzerConfig } from '@ledger/analysis';
import {
  analysisOf,
  compareRecordingsByStart,
  type AnalysisReason,
  type AnalyzerVersion,
  type QmdlStoreState,
  type RecordingEntry,
} from '@ledger/domain';

/** Rayhunter's `GET /api/analysis`: names queued (in order), the one being analysed, the ones no analysis is to come for. */
export interface AnalysisStatus {
  readonly queued: string[];
  readonly running: string | null;
  readonly finished: string[];
}

/** One recording due for analysis; `resume` is the id of a started, never completed analysis (a crash) to continue. */
export interface AnalysisJob {
  readonly name: string;
  readonly reason: AnalysisReason;
  readonly resume?: string;
}

/** The config's `analyzers` switches over the defaults (ChangeConfig validated them; anything not boolean is ignored). */
export function analyzerConfigOf(config: Readonly<Record<string, unknown>>): AnalyzerConfig {
  const switches = config.analyzers;
  const out: Record<string, boolean> = { ...DEFAULT_ANALYZER_CONFIG };
  if (switches !== null && typeof switches === 'object') {
    for (const key of Object.keys(DEFAULT_ANALYZER_CONFIG)) {
      const value = (switches as Record<string, unknown>)[key];
      if (typeof value === 'boolean') out[key] = value;
    }
  }
  return out as unknown as AnalyzerConfig;
}

/** The enabled analyzers with their versions, in report order. */
export function enabledAnalyzers(config: AnalyzerConfig): AnalyzerVersion[] {
  return ANALYZERS.filter((a) => config[a.key]).map(({ key, name, version }) => ({ key, name, version }));
}

/** The same analyzers at the same versions, in the same order. */
export function sameAnalyzers(a: readonly AnalyzerVersion[], b: readonly AnalyzerVersion[]): boolean {
  return a.length === b.length && a.every((x, i) => x.key === b[i]?.key && x.version === b[i]?.version);
}

/**
 * What the reactor has to do, from the projection alone (its `analyses` are
 * the reactor's checkpoint: what it recorded, and the re-analyses asked for).
 * A finished recording is due when re-analysis was asked for and has not
 * started ('requested', first, in the order asked: RecordingAnalysisRequested
 * until the next RecordingAnalysisStarted), when it was never analysed ('new'),
 * or when its last report was made by other analyzers or other versions than
 * the enabled ones ('analyzer-changed'). An analysis started with the enabled
 * analyzers and never completed is resumed.
 */
export function dueAnalyses(state: QmdlStoreState, enabled: readonly AnalyzerVersion[]): AnalysisJob[] {
  const jobs: AnalysisJob[] = [];
  const seen = new Set<string>();
  const requested = Object.entries(state.analyses ?? {})
    .flatMap(([name, a]) => (a.requested === undefined ? [] : [{ name, seq: a.requested.seq }]))
    .sort((a, b) => a.seq - b.seq);
  for (const { name } of requested) {
    if (!Object.prototype.hasOwnProperty.call(state.entries, name)) continue;
    seen.add(name);
    jobs.push({ name, reason: 'requested' });
  }
  // Only the due recordings are sorted: this runs on every event, and most recordings are not due.
  const due: Array<{ entry: RecordingEntry; job: AnalysisJob }> = [];
  for (const entry of Object.values(state.entries)) {
    if (seen.has(entry.name)) continue;
    const analysis = analysisOf(state, entry.name);
    const running = analysis?.running;
    if (running !== undefined && sameAnalyzers(running.analyzers, enabled)) {
      due.push({ entry, job: { name: entry.name, reason: running.reason, resume: running.analysisId } });
    } else if (analysis?.completed === undefined) {
      due.push({ entry, job: { name: entry.name, reason: 'new' } });
    } else if (!sameAnalyzers(analysis.completed.analyzers, enabled)) {
      due.push({ entry, job: { name: entry.name, reason: 'analyzer-changed' } });
    }
  }
  due.sort((a, b) => compareRecordingsByStart(a.entry, b.entry));
  for (const { job } of due) jobs.push(job);
  return jobs;
}

/**
 * What the reactor can run: the due analyses, or none with every analyzer off — an analysis needs
 * one (StartRecordingAnalysis refuses none), so a re-analysis asked for then waits until one is on.
 */
export function runnableAnalyses(state: QmdlStoreState, enabled: readonly AnalyzerVersion[]): AnalysisJob[] {
  return enabled.length === 0 ? [] : dueAnalyses(state, enabled);
}

/** The status the original serves, for a state and what is running now. */
export function analysisStatusOf(
  state: QmdlStoreState,
  jobs: readonly AnalysisJob[],
  running: string | undefined,
): AnalysisStatus {
  const queued = jobs.map((j) => j.name).filter((n) => n !== running);
  const pending = new Set([...queued, ...(running === undefined ? [] : [running])]);
  // Every recording no analysis is coming for is finished with the report it has: analysed, or with every
  // analyzer off (the metadata line), or whose analysis failed (a report that says so) — the UI spins on the
  // others until a report comes.
  const finished = Object.keys(state.entries).filter((name) => !pending.has(name));
  return { queued, running: running ?? null, finished };
}
