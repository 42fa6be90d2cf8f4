import { ANALYZERS } from '../harness';
import { decodeLteNas } from '../nas/lte-nas';
import { decodeLteRrc, type LteRrcChannelName } from '../rrc/lte-rrc';
import { craftedMessages, type CraftedName } from '../vectors/crafted-messages';
import type { InformationElement } from './analyzer';

/** Every crafted message as the analyzers see it, then a message of every channel no one decodes. */
function elements(): InformationElement[] {
  const out: InformationElement[] = [];
  for (const name of Object.keys(craftedMessages) as CraftedName[]) {
    const m = craftedMessages[name];
    if (m.kind === 'lte-rrc') {
      const r = decodeLteRrc(m.channel, m.payload);
      if (r.ok) out.push({ kind: 'lte-rrc', channel: m.channel, rrc: r.facts });
    } else {
      const r = decodeLteNas(m.payload, m.direction);
      if (r.ok) out.push({ kind: 'lte-nas', direction: m.direction, nas: r.facts });
    }
  }
  for (const channel of ['BCCH-BCH', 'PCCH', 'MCCH', 'DL-CCCH'] as LteRrcChannelName[]) {
    out.push({ kind: 'lte-rrc', channel, rrc: { message: 'other', name: channel } });
  }
  return out;
}

describe('the messages an analyzer says it reads', () => {
  const all = elements();
  const readers = ANALYZERS.filter((a) => a.reads !== undefined);

  test('the crafted vectors hold messages inside and outside every list', () => {
    expect(all.length).toBeGreaterThan(30);
    expect(readers.map((a) => a.key).sort()).toEqual(
      [
        'connection_redirect_2g_downgrade',
        'diagnostic_analyzer',
        'incomplete_sib',
        'lte_sib6_and_7_downgrade',
        'nas_null_cipher',
        'null_cipher',
        'test_analyzer',
      ].sort(),
    );
  });

  // The harness skips an analyzer for a message outside its list: that is only the same report if
  // `analyze` would have kept its state and said nothing, in whatever state the stream left it.
  test.each(readers.map((a) => [a.key, a] as const))(
    '%s keeps its state and raises nothing for every message outside its list, in every state the stream reaches',
    (_key, analyzer) => {
      const reads = analyzer.reads as NonNullable<typeof analyzer.reads>;
      let outside = 0;
      // Each element after each other element: the states every one of them leads to.
      for (const first of all) {
        let state = analyzer.analyze(analyzer.initial(), first, 1).state;
        for (const ie of all) {
          const message = ie.kind === 'lte-rrc' ? ie.rrc.message : ie.nas.message;
          const listed = (ie.kind === 'lte-rrc' ? (reads.rrc as readonly string[]) : reads.nas).includes(message);
          const step = analyzer.analyze(state, ie, 2);
          if (!listed) {
            outside++;
            expect(step.event).toBeUndefined();
            expect(step.state).toBe(state);
          }
          state = step.state;
        }
      }
      expect(outside).toBeGreaterThan(0);
    },
  );
});
