import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RecordingFiles } from './recording-files';

describe('RecordingFiles.scan', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'recording-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('groups the Rayhunter layout by recording, oldest first, and ignores everything else', async () => {
    for (const f of [
      '1700000010.qmdl.gz',
      '1700000010.ndjson',
      '1700000010-gps.ndjson',
      '1700000010.ndjson.partial',
      '999.qmdl',
      '1700000002.ndjson',
      'notes.txt',
      '12a.qmdl',
      '1700000003.qmdl.gz.tmp',
    ]) {
      writeFileSync(path.join(dir, f), 'x');
    }
    mkdirSync(path.join(dir, '1700000004.qmdl'));
    const files = new RecordingFiles(dir);
    const found = await files.scan();
    expect([...found.keys()]).toEqual(['999', '1700000002', '1700000010']);
    expect(found.get('1700000010')?.qmdl).toEqual([{ file: path.join(dir, '1700000010.qmdl.gz'), compressed: true }]);
    expect([...(found.get('1700000010')?.other ?? [])].sort()).toEqual([
      path.join(dir, '1700000010-gps.ndjson'),
      path.join(dir, '1700000010.ndjson'),
    ]);
    expect(found.get('1700000010')?.partial).toBe(path.join(dir, '1700000010.ndjson.partial'));
    expect(found.get('999')?.qmdl).toEqual([{ file: path.join(dir, '999.qmdl'), compressed: false }]);
    expect(found.get('1700000002')).toEqual({ qmdl: [], other: [path.join(dir, '1700000002.ndjson')] });
  });

  it('follows a symlink to a regular file, not a dangling one, and sizes files on request', async () => {
    writeFileSync(path.join(dir, 'elsewhere'), Buffer.alloc(1234));
    symlinkSync(path.join(dir, 'elsewhere'), path.join(dir, '1700000001.qmdl'));
    symlinkSync(path.join(dir, 'missing'), path.join(dir, '1700000002.qmdl'));
    const files = new RecordingFiles(dir);
    const found = await files.scan();
    expect([...found.keys()]).toEqual(['1700000001']);
    expect(await files.sizeOf(path.join(dir, '1700000001.qmdl'))).toBe(1234);
  });

  it('removing a recording removes every file of its layout, a half-written analysis report included', async () => {
    const files = new RecordingFiles(dir);
    const layout = [
      '1700000010.qmdl.gz',
      '1700000010.qmdl',
      '1700000010.ndjson',
      '1700000010.ndjson.partial',
      '1700000010-gps.ndjson',
    ];
    for (const f of [...layout, '1700000011.ndjson.partial']) writeFileSync(path.join(dir, f), 'x');
    expect((await files.remove('1700000010')).map((f) => path.basename(f)).sort()).toEqual([...layout].sort());
    expect([...(await files.scan()).keys()]).toEqual(['1700000011']);
    expect(await files.remove('1700000010')).toEqual([]);
  });

  it('finds nothing in a directory that does not exist', async () => {
    expect((await new RecordingFiles(path.join(dir, 'absent')).scan()).size).toBe(0);
  });
});
