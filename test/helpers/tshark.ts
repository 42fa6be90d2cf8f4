import { spawnSync } from 'node:child_process';

/** Debian's tshark (installed by scripts/ensure-tshark.sh). */
const TSHARK = 'tshark';

export function assertTshark(): void {
  const probe = spawnSync(TSHARK, ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) throw new Error('tshark is missing: run `bash scripts/ensure-tshark.sh` (as root) first');
}

/** Runs tshark on a file; throws with its stderr when it fails (a file it cannot read). */
export function tshark(args: readonly string[]): string {
  const result = spawnSync(TSHARK, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
  if (result.status !== 0)
    throw new Error(`tshark ${args.join(' ')} exited ${String(result.status)}: ${result.stderr}`);
  return result.stdout;
}

/** Frames tshark flags as malformed, and expert infos of severity error (both must be none for a good export). */
export function dissectionProblems(file: string): { malformed: number; expertErrors: string[] } {
  const malformed = tshark(['-r', file, '-Y', '_ws.malformed', '-T', 'fields', '-e', 'frame.number'])
    .split('\n')
    .filter((l) => l !== '').length;
  const expert = tshark(['-r', file, '-q', '-z', 'expert,error']);
  // `-z expert,error` prints a section per severity present at error level or above, e.g. "Errors (3)".
  const expertErrors = expert.split('\n').filter((l) => /^(Errors|Malformed)\s*\(\d+\)/.test(l.trim()));
  return { malformed, expertErrors };
}

const RRC_ELEMENTS = [
  'BCCH_BCH',
  'BCCH_DL_SCH',
  'MCCH',
  'PCCH',
  'DL_CCCH',
  'DL_DCCH',
  'UL_CCCH',
  'UL_DCCH',
  'BCCH_BCH_NB',
  'BCCH_DL_SCH_NB',
  'PCCH_NB',
  'DL_CCCH_NB',
  'DL_DCCH_NB',
  'UL_CCCH_NB',
  'UL_DCCH_NB',
] as const;

export interface DissectedPacket {
  readonly timeUs: bigint;
  /** Same form as the independent scan's keys: `RRC:<channel>` from the LTE RRC message tshark decoded, `NAS:<direction>`, `UM:<channel type>`. */
  readonly key: string;
  /** The Info column: the decoded message names. Never print it (real captures carry identities). */
  readonly info: string;
}

/** Every packet as Wireshark dissects it, in file order. */
export function dissect(file: string): DissectedPacket[] {
  const fields = [
    'frame.time_epoch',
    'gsmtap.type',
    'gsmtap.chan_type',
    'gsmtap.uplink',
    ...RRC_ELEMENTS.map((e) =>
      e.endsWith('_NB') ? `lte-rrc.${e.slice(0, -3)}_Message_NB_element` : `lte-rrc.${e}_Message_element`,
    ),
    '_ws.col.Info',
  ];
  const out = tshark([
    '-r',
    file,
    '-T',
    'fields',
    '-E',
    'separator=\t',
    '-E',
    'occurrence=f',
    ...fields.flatMap((f) => ['-e', f]),
  ]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const cols = line.split('\t');
      const [seconds = '0', fraction = ''] = (cols[0] ?? '').split('.');
      const timeUs = BigInt(seconds) * 1_000_000n + BigInt((fraction + '000000').slice(0, 6));
      const type = Number(cols[1]);
      let key = `type ${type}`;
      if (type === 13) {
        const present = RRC_ELEMENTS.filter((_, i) => (cols[4 + i] ?? '') !== '');
        key =
          present.length === 1
            ? `RRC:${(present[0] as string).replace(/_/g, '-')}`
            : `RRC:? (${present.length} channels)`;
      } else if (type === 18) {
        key = `NAS:${cols[3] === '1' ? 'uplink' : 'downlink'}`;
      } else if (type === 1) {
        key = `UM:${cols[2] ?? ''}`;
      }
      return { timeUs, key, info: cols[4 + RRC_ELEMENTS.length] ?? '' };
    });
}
