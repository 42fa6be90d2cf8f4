import {
  analysisSlice,
  composeSlices,
  EVENT_SCHEMA_VERSIONS,
  initialState,
  LEDGER_EVENT_TYPES,
  LEDGER_SLICES,
  ledgerDecider,
  recordingsSlice,
  type AnySlice,
  type QmdlStoreState,
  type Slice,
} from '@ledger/domain';
import { deleted, NAME0, started, stopped } from './testing/recording-events.fixtures';
import { randomHistory } from './testing/random-history';

/** A slice of its own, as a new feature would add one: a note per recording, for live recordings only. */
interface NotesState {
  readonly notes?: Readonly<Record<string, string>>;
}
type NoteCommand = { readonly type: 'AddNote'; readonly data: { readonly name: string; readonly text: string } };
type NoteEvent = { readonly type: 'NoteAdded'; readonly recording?: string; readonly data: { readonly text: string } };
const notesSlice: Slice<NotesState, NoteCommand, NoteEvent, Pick<QmdlStoreState, 'names'>> = {
  name: 'notes',
  commandTypes: { AddNote: true },
  eventVersions: { NoteAdded: 1 },
  follows: {},
  initialState: () => ({}),
  decide: (command, _state, reads) =>
    reads.names[command.data.name] === 'live'
      ? { ok: true, events: [{ type: 'NoteAdded', recording: command.data.name, data: { text: command.data.text } }] }
      : { ok: false, refusal: { code: 'NO_SUCH_RECORDING', message: `no recording ${command.data.name}` } },
  apply: (draft, event) => {
    if (event.recording !== undefined) draft.own('notes')[event.recording] = event.data.text;
  },
  stateRules: [],
  transitionRules: [],
};

function numbered<T extends object>(events: readonly T[]): (T & { seq: number })[] {
  return events.map((event, i) => ({ ...event, seq: i + 1 }));
}

describe('the ledger composed from its slices', () => {
  it('decides every event type in the catalogue, and only those, with their schema versions', () => {
    expect(ledgerDecider.eventVersions).toEqual(EVENT_SCHEMA_VERSIONS);
    expect(Object.keys(ledgerDecider.eventVersions)).toEqual([...LEDGER_EVENT_TYPES]);
    expect(LEDGER_SLICES.map((slice) => slice.name)).toEqual(['recordings', 'analysis']);
  });

  it('gives each slice its own keys of the state: an event changes only the keys of the slices that apply it', () => {
    const keys = LEDGER_SLICES.map((slice) => Object.keys(slice.initialState()));
    expect(new Set(keys.flat()).size).toBe(keys.flat().length);
    const ownerOf = (key: string): string =>
      key === 'seq' || key === 'lastEventTime' ? 'position' : key === 'analyses' ? 'analysis' : 'recordings';
    const analysed = [
      started(NAME0),
      { type: 'RecordingAnalysisStarted', recording: NAME0, data: { analysisId: 'a', reason: 'new', analyzers: [] } },
      stopped(NAME0, 'requested'),
      deleted(NAME0),
    ] as const;
    const { events } = randomHistory(7, 300, 0.1);
    let state = initialState();
    for (const event of [...numbered(analysed), ...events.map((e) => ({ ...e, seq: e.seq + analysed.length }))]) {
      const next = ledgerDecider.evolve(state, event);
      const appliers = (LEDGER_SLICES as readonly AnySlice[])
        .filter((slice) => event.type in slice.eventVersions || event.type in slice.follows)
        .map((slice) => slice.name);
      const changed = [...new Set([...Object.keys(state), ...Object.keys(next)])].filter(
        (key) => next[key as keyof QmdlStoreState] !== state[key as keyof QmdlStoreState],
      );
      for (const key of changed) {
        const owned = ['position', ...appliers].includes(ownerOf(key));
        expect({ type: event.type, key, owned }).toEqual({ type: event.type, key, owned: true });
      }
      state = next;
    }
    expect(state.analyses).toEqual({});
  });

  it('refuses to compose two slices that claim the same command or event, or follow an event no slice decides', () => {
    expect(() => composeSlices([recordingsSlice, recordingsSlice])).toThrow(TypeError);
    expect(() => composeSlices([analysisSlice])).toThrow(/follows RecordingDeleted/);
    const twin = { ...notesSlice, name: 'twin', commandTypes: {}, eventVersions: { NoteAdded: 1 } };
    expect(() => composeSlices([notesSlice, twin] as AnySlice[])).toThrow(/NoteAdded is claimed by two slices/);
  });

  it('adds a new slice without touching the others: its command is decided against what it reads, its event kept in its own key', () => {
    const ledger = composeSlices<QmdlStoreState & NotesState, never, never>([
      ...LEDGER_SLICES,
      notesSlice,
    ] as readonly AnySlice[]);
    let state = ledger.initialState();
    for (const event of numbered([started(NAME0), stopped(NAME0, 'requested')])) state = ledger.evolve(state, event);
    const note = { type: 'AddNote', data: { name: NAME0, text: 'parked by the station' } } as never;
    const decision = ledger.decide(note, state);
    expect(decision).toEqual({
      ok: true,
      events: [{ type: 'NoteAdded', recording: NAME0, data: { text: 'parked by the station' } }],
    });
    const noted = ledger.evolve(state, { type: 'NoteAdded', recording: NAME0, data: { text: 'x' }, seq: 3 });
    expect(noted.notes).toEqual({ [NAME0]: 'x' });
    expect(noted.entries).toBe(state.entries);
    expect(noted.seq).toBe(3);
    const gone = ledger.evolve(noted, { ...deleted(NAME0), seq: 4 });
    const refused = ledger.decide(note, gone);
    expect(refused.ok ? undefined : refused.refusal.code).toBe('NO_SUCH_RECORDING');
  });

  it('checks every slice before any decision: a broken recordings state throws even for an analysis command', () => {
    const broken: QmdlStoreState = {
      ...initialState(),
      current: {
        name: NAME0,
        startTime: '2024-06-01T10:00:00Z',
        qmdlSizeBytes: 0,
        uncompressedBytes: 0,
        containers: 0,
        compressed: true,
      },
      names: {},
    };
    expect(() =>
      ledgerDecider.decide(
        {
          type: 'StartRecordingAnalysis',
          data: { name: NAME0, analysisId: 'a', reason: 'new', analyzers: [{ key: 'k', name: 'n', version: 1 }] },
        },
        broken,
      ),
    ).toThrow(expect.objectContaining({ code: 'INVARIANT_BROKEN' }) as Error);
  });
});
