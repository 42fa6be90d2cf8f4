import type { Slice } from './decider';
import { RECORDINGS_COMMAND_TYPES } from './recordings.commands';
import { assertRecordingsDecidable, decideRecordings, type RecordingsCommand } from './recordings.decider';
import { RECORDINGS_EVENT_VERSIONS } from './recordings.events';
import { applyRecordingEvent, initialRecordingsState, type RecordingsEvent } from './recordings.evolve';
import {
  checkRecordingsState,
  checkRecordingsStep,
  checkRecordingsTransition,
  RECORDINGS_STATE_RULES,
  RECORDINGS_TRANSITION_RULES,
  recordingsTransitionBefore,
  type RecordingsBefore,
} from './recordings.invariants';
import type { RecordingsState } from './state';

/**
 * The recordings slice: the store, its service runs, its recordings and the
 * device's settings — the Rayhunter manifest and everything the recorder does.
 * It reads no other slice. Its names (`names`) are what other slices read to
 * know that a recording exists, and its transition check sees every event:
 * no event of any slice names a deleted recording.
 */
export const recordingsSlice: Slice<
  RecordingsState,
  RecordingsCommand,
  RecordingsEvent,
  object,
  never,
  RecordingsBefore
> = {
  name: 'recordings',
  commandTypes: RECORDINGS_COMMAND_TYPES,
  eventVersions: RECORDINGS_EVENT_VERSIONS,
  follows: {},
  initialState: initialRecordingsState,
  assertDecidable: assertRecordingsDecidable,
  decide: (command, state) => decideRecordings(command, state),
  apply: (draft, event) => applyRecordingEvent(draft, event),
  stateRules: RECORDINGS_STATE_RULES,
  transitionRules: RECORDINGS_TRANSITION_RULES,
  checks: 'every event',
  transitionBefore: recordingsTransitionBefore,
  checkTransition: checkRecordingsTransition,
  checkState: checkRecordingsState,
  checkStep: checkRecordingsStep,
};
