import { RECORDING_NAME_PATTERN } from './naming';

/**
 * The Rayhunter file layout of a recording, as file names (the directory is
 * the caller's): `<name>.qmdl.gz` (or `.qmdl`, uncompressed), the analysis
 * report `<name>.ndjson` and the GPS fixes `<name>-gps.ndjson`. Existing tools
 * and habits find recordings by these names, so every reader and writer of the
 * store builds them here. Ours alone: `<name>.ndjson.partial`, the report an
 * analysis is writing, renamed over `<name>.ndjson` once whole.
 */
export interface RecordingFileNames {
  readonly qmdl: string;
  readonly analysis: string;
  /** The analysis report being written; a file of the recording like the others (deleted with it). */
  readonly analysisPartial: string;
  readonly gps: string;
}

/** What one file of a recording holds; `qmdl` with `compressed` telling `.qmdl.gz` from `.qmdl`. */
export type RecordingFileKind = 'qmdl' | 'analysis' | 'analysis-partial' | 'gps';

export interface RecordingFileName {
  readonly name: string;
  readonly kind: RecordingFileKind;
  /** For `qmdl`: `.qmdl.gz` rather than `.qmdl`. */
  readonly compressed: boolean;
}

const SUFFIXES = {
  qmdlGz: '.qmdl.gz',
  qmdl: '.qmdl',
  analysis: '.ndjson',
  analysisPartial: '.ndjson.partial',
  gps: '-gps.ndjson',
} as const;

const RECORDING_FILE = new RegExp(
  `^(${RECORDING_NAME_PATTERN})(\\.qmdl|\\.qmdl\\.gz|\\.ndjson|\\.ndjson\\.partial|-gps\\.ndjson)$`,
);

/** The QMDL file's name: `<name>.qmdl.gz`, or `<name>.qmdl` for an uncompressed recording. */
export function qmdlFileName(name: string, compressed: boolean): string {
  return `${name}${compressed ? SUFFIXES.qmdlGz : SUFFIXES.qmdl}`;
}

/** Every file name of a recording. `name` is expected to be a recording name already. */
export function recordingFileNames(name: string, compressed: boolean): RecordingFileNames {
  return {
    qmdl: qmdlFileName(name, compressed),
    analysis: `${name}${SUFFIXES.analysis}`,
    analysisPartial: `${name}${SUFFIXES.analysisPartial}`,
    gps: `${name}${SUFFIXES.gps}`,
  };
}

/** The recording a file name in the layout belongs to, and what it holds; undefined for any other file. */
export function parseRecordingFileName(file: string): RecordingFileName | undefined {
  const match = RECORDING_FILE.exec(file);
  if (match === null) return undefined;
  const name = match[1] as string;
  switch (match[2]) {
    case SUFFIXES.qmdlGz:
      return { name, kind: 'qmdl', compressed: true };
    case SUFFIXES.qmdl:
      return { name, kind: 'qmdl', compressed: false };
    case SUFFIXES.analysis:
      return { name, kind: 'analysis', compressed: false };
    case SUFFIXES.analysisPartial:
      return { name, kind: 'analysis-partial', compressed: false };
    default:
      return { name, kind: 'gps', compressed: false };
  }
}
