import type { AnalysisFindingData } from '@ledger/domain';
import { FindingRecorder, type FindingBatch } from './finding-recorder';

function finding(windowEnd: number): AnalysisFindingData {
  return {
    analysisId: 'a',
    analyzer: 'imsi_requested',
    analyzerName: 'Identity (IMSI or IMEI) requested in suspicious manner',
    severity: 'High',
    message: 'm',
    packet: windowEnd - 1,
    packetTime: '2024-01-01T00:00:00+00:00',
    count: 1,
    lastPacket: windowEnd - 1,
    windowEnd,
  };
}

const windowOf = (end: number): FindingBatch => ({ through: end, findings: [finding(end)] });

/** A commit the test releases by hand. */
function gatedCommits(): {
  commits: FindingBatch[];
  release(error?: Error): void;
  commit(b: FindingBatch): Promise<void>;
} {
  const commits: FindingBatch[] = [];
  const gates: Array<{ resolve(): void; reject(e: Error): void }> = [];
  return {
    commits,
    release(error) {
      const gate = gates.shift();
      if (error === undefined) gate?.resolve();
      else gate?.reject(error);
    },
    commit(batch) {
      commits.push(batch);
      return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('FindingRecorder', () => {
  it('sends the first window at once and the windows closed meanwhile together, in order, with the last through', async () => {
    const gate = gatedCommits();
    const recorder = new FindingRecorder((b) => gate.commit(b));
    await recorder.add(windowOf(1000));
    await recorder.add(windowOf(2000));
    await recorder.add(windowOf(3000));
    expect(gate.commits.map((c) => c.through)).toEqual([1000]);
    gate.release();
    await settle();
    expect(gate.commits.map((c) => c.through)).toEqual([1000, 3000]);
    expect(gate.commits[1]?.findings.map((f) => f.windowEnd)).toEqual([2000, 3000]);
    const drained = recorder.drain();
    gate.release();
    await drained;
    expect(gate.commits).toHaveLength(2);
  });

  it('ignores an undefined batch and drains at once when nothing is queued', async () => {
    const commits: FindingBatch[] = [];
    const recorder = new FindingRecorder(async (b) => void commits.push(b));
    await recorder.add(undefined);
    await recorder.drain();
    expect(commits).toEqual([]);
  });

  it('makes add wait for the commit in flight once 64 windows are waiting', async () => {
    const gate = gatedCommits();
    const recorder = new FindingRecorder((b) => gate.commit(b));
    await recorder.add(windowOf(1000));
    for (let i = 2; i <= 64; i++) await recorder.add(windowOf(i * 1000));
    let returned = false;
    const blocked = recorder.add(windowOf(65_000)).then(() => (returned = true));
    await settle();
    expect(returned).toBe(false);
    gate.release();
    await blocked;
    expect(returned).toBe(true);
    expect(gate.commits.map((c) => c.findings.length)).toEqual([1, 64]);
  });

  it('fails the next add and the drain after a failed commit, and sends nothing after it', async () => {
    const gate = gatedCommits();
    const recorder = new FindingRecorder((b) => gate.commit(b));
    await recorder.add(windowOf(1000));
    await recorder.add(windowOf(2000));
    gate.release(new Error('refused'));
    await settle();
    await expect(recorder.add(windowOf(3000))).rejects.toThrow('refused');
    await expect(recorder.drain()).rejects.toThrow('refused');
    expect(gate.commits.map((c) => c.through)).toEqual([1000]);
  });
});
