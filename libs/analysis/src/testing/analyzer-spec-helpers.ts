/** given/when/then for analyzers, from the crafted vectors (used by the specs only). */
import { decodeLteNas } from '../nas/lte-nas';
import { decodeLteRrc } from '../rrc/lte-rrc';
import { craftedMessages, type CraftedName } from '../vectors/crafted-messages';
import type { Analyzer, AnalyzerEvent, InformationElement } from '../analyzers/analyzer';

function elementOf(name: CraftedName): InformationElement {
  const m = craftedMessages[name];
  if (m.kind === 'lte-rrc') {
    const r = decodeLteRrc(m.channel, m.payload);
    if (!r.ok) throw new Error(`${name} does not decode: ${r.failure} at ${r.field}`);
    return { kind: 'lte-rrc', channel: m.channel, rrc: r.facts };
  }
  const r = decodeLteNas(m.payload, m.direction);
  if (!r.ok) throw new Error(`${name} does not decode: ${r.reason}`);
  return { kind: 'lte-nas', direction: m.direction, nas: r.facts };
}

/** Feeds `given` then `when` (packets numbered from 1) and returns the events `when` raised. */
export function given<S>(
  analyzer: Analyzer<S>,
  ...before: (CraftedName | InformationElement)[]
): { when(...then: (CraftedName | InformationElement)[]): (AnalyzerEvent | undefined)[] } {
  let state = analyzer.initial();
  let packet = 0;
  const feed = (x: CraftedName | InformationElement): AnalyzerEvent | undefined => {
    const step = analyzer.analyze(state, typeof x === 'string' ? elementOf(x) : x, ++packet);
    state = step.state;
    return step.event;
  };
  before.forEach(feed);
  return { when: (...items) => items.map(feed) };
}

/** An element no analyzer cares about (a paging message), for padding a stream. */
export const PAGING: InformationElement = { kind: 'lte-rrc', channel: 'PCCH', rrc: { message: 'other', name: 'PCCH' } };
