import type { HostInfo } from '@ledger/store';

/** What the CLI's commands share, made once by `buildProgram`. */
export interface CliContext {
  /** The machine the reports name (analyze's report header, pcap's section header). */
  readonly host: HostInfo;
}
