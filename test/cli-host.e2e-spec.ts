import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildProgram } from '../apps/qmdl-ledger/src/main';
import { readPcapng } from './helpers/pcapng';
import { fakeHost } from './helpers/server';

/** pcapng section header option codes: shb_hardware, shb_os. */
const SHB_HARDWARE = 2;
const SHB_OS = 3;

/** The CLI's commands name the host `buildProgram` was given (one HostInfo, as the service's ledger has). */
describe('the CLI names the host it was given', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cli-host-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exitCode = undefined;
  });

  it("pcap's section header is the injected HostInfo's machine and system, not one read again", async () => {
    const host = fakeHost({ systemOs: 'TestOS 9.9', arch: 'test-arch', machine: 'test-machine' });
    const input = path.join(dir, 'empty.qmdl');
    const out = path.join(dir, 'out.pcapng');
    writeFileSync(input, Buffer.alloc(0));
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await buildProgram({ host }).parseAsync(['node', 'qmdl-ledger', 'pcap', input, '-o', out, '--json']);
    } finally {
      write.mockRestore();
    }
    expect(process.exitCode).toBe(0);
    const shb = readPcapng(readFileSync(out)).options;
    expect(shb.get(SHB_HARDWARE)).toBe('test-machine');
    expect(shb.get(SHB_OS)).toBe('TestOS 9.9');
  });
});
