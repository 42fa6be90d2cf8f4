import { SyntheticDiagGenerator, type SyntheticOptions } from '@ledger/qmdl';

/** Synthetic diag containers (HDLC frames each) until at least `totalBytes`, deterministic per options. */
export function syntheticContainers(totalBytes: number, options: SyntheticOptions): Buffer[] {
  const generator = new SyntheticDiagGenerator(options);
  const containers: Buffer[] = [];
  let bytes = 0;
  while (bytes < totalBytes) {
    const { frames } = generator.nextContainer();
    containers.push(frames);
    bytes += frames.length;
  }
  return containers;
}
