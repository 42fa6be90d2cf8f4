import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { initialState, type QmdlStoreState, type RecordingEntry } from '@ledger/domain';
import { MemoryEventLog } from '@ledger/event-log';
import { silentLogger, type MigrationContext } from '@ledger/store';
import { createdMissingAnalysisFiles } from './0001_created_missing_analysis_files';
import { MIGRATIONS } from './index';

const entry = (name: string, compressed = true): RecordingEntry => ({
  name,
  startTime: '2024-05-01T08:00:00+00:00',
  qmdlSizeBytes: 3,
  uncompressedBytes: 0,
  containers: 0,
  compressed,
});

describe('0001_created_missing_analysis_files', () => {
  let dataDir: string;
  let qmdl: string;
  let context: MigrationContext;

  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'migration-0001-'));
    qmdl = path.join(dataDir, 'qmdl');
    await fs.mkdir(qmdl);
    // 100: imported, no analysis file; 200: uncompressed, no analysis; 300: has one with content; 400: file missing (damaged); 500: active.
    await fs.writeFile(path.join(qmdl, '100.qmdl.gz'), 'abc');
    await fs.writeFile(path.join(qmdl, '200.qmdl'), 'abc');
    await fs.writeFile(path.join(qmdl, '300.qmdl.gz'), 'abc');
    await fs.writeFile(path.join(qmdl, '300.ndjson'), '{"kept":true}\n');
    await fs.writeFile(path.join(qmdl, '500.qmdl.gz'), '');
    const state: QmdlStoreState = {
      ...initialState(),
      entries: { '100': entry('100'), '200': entry('200', false), '300': entry('300'), '400': entry('400') },
      current: entry('500'),
      names: { '100': 'live', '200': 'live', '300': 'live', '400': 'live', '500': 'live', '600': 'deleted' },
    };
    context = { dataDir, log: await MemoryEventLog.open(), state, logger: silentLogger };
  });

  afterEach(async () => {
    await context.log.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('gives every live recording that has a QMDL file an analysis file, empty', async () => {
    await createdMissingAnalysisFiles.up(context);
    expect(await fs.readFile(path.join(qmdl, '100.ndjson'), 'utf8')).toBe('');
    expect(await fs.readFile(path.join(qmdl, '200.ndjson'), 'utf8')).toBe('');
    expect(await fs.readFile(path.join(qmdl, '500.ndjson'), 'utf8')).toBe('');
  });

  it('never touches an existing analysis file, a damaged recording or a deleted one', async () => {
    await createdMissingAnalysisFiles.up(context);
    expect(await fs.readFile(path.join(qmdl, '300.ndjson'), 'utf8')).toBe('{"kept":true}\n');
    const files = await fs.readdir(qmdl);
    expect(files).not.toContain('400.ndjson');
    expect(files).not.toContain('600.ndjson');
  });

  it('is idempotent: a second run changes nothing', async () => {
    await createdMissingAnalysisFiles.up(context);
    const after = (await fs.readdir(qmdl)).sort();
    await fs.writeFile(path.join(qmdl, '100.ndjson'), '{"analysed":1}\n');
    await createdMissingAnalysisFiles.up(context);
    expect((await fs.readdir(qmdl)).sort()).toEqual(after);
    expect(await fs.readFile(path.join(qmdl, '100.ndjson'), 'utf8')).toBe('{"analysed":1}\n');
  });

  it('does nothing on a store without recordings (not even create qmdl/)', async () => {
    const empty = await fs.mkdtemp(path.join(os.tmpdir(), 'migration-0001-empty-'));
    await createdMissingAnalysisFiles.up({ ...context, dataDir: empty, state: initialState() });
    expect(await fs.readdir(empty)).toEqual([]);
    await fs.rm(empty, { recursive: true, force: true });
  });
});

describe('MIGRATIONS', () => {
  it('are numbered NNNN in order, with past-tense snake_case names, ids unique', () => {
    const ids = MIGRATIONS.map((m) => m.id);
    expect(ids).toEqual([...ids].sort());
    expect(new Set(ids).size).toBe(ids.length);
    for (const m of MIGRATIONS) {
      expect(m.id).toMatch(/^[0-9]{4}$/);
      expect(m.name).toMatch(/^[a-z]+ed(_[a-z0-9]+)+$/);
    }
  });
});
