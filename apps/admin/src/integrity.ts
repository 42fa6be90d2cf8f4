import { errorText, getJson } from './api';
import { h, replaceChildren } from './dom';
import type { VerifyResult } from './types';

/**
 * At most one verify per this many ms when live events trigger it: verify walks
 * the whole chain, and a recording appends an event every second or so.
 */
const THROTTLE_MS = 15_000;

/**
 * The integrity badge: whether the store verifies up to the head (chain,
 * invariants, projection, files), or the first finding and its code.
 */
export function integrityBadge(signal: AbortSignal): { el: HTMLElement; refresh(): void; refreshSoon(): void } {
  const label = h('span', { class: 'badge-text', 'data-testid': 'integrity-text' }, 'Checking chain…');
  const badge = h(
    'span',
    { class: 'badge', 'data-testid': 'integrity-badge', 'data-state': 'checking', role: 'status' },
    label,
  );
  const button = h(
    'button',
    {
      type: 'button',
      class: 'icon',
      'aria-label': 'Verify the chain again',
      title: 'Verify again',
      'data-testid': 'integrity-refresh',
      onclick: () => refresh(),
    },
    '↻',
  );
  const el = h('span', { class: 'integrity' }, badge, button);
  let inFlight = false;
  let again = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let lastRun = 0;

  function show(state: string, text: string, title: string): void {
    badge.setAttribute('data-state', state);
    badge.title = title;
    replaceChildren(label, text);
  }

  async function refresh(): Promise<void> {
    if (inFlight) {
      again = true;
      return;
    }
    inFlight = true;
    lastRun = Date.now();
    button.disabled = true;
    try {
      const r = await getJson<VerifyResult>('/api/store/verify', signal);
      const detail = `head #${r.head}, ${r.checked} events checked, head hash ${r.headHash}`;
      const first = r.firstBad;
      if (r.ok) {
        show('ok', `✓ Chain verifies to #${r.head}`, detail);
      } else if (first?.check === 'chain') {
        show('bad', `✗ Chain broken at #${first.seq ?? '?'} ${first.code}`, `${first.message} — ${detail}`);
      } else {
        const where = first?.seq !== undefined ? ` at #${first.seq}` : first?.recording ? ` (${first.recording})` : '';
        show(
          'bad',
          `✗ ${r.findings.length} finding(s): ${first?.code ?? 'unknown'}${where}`,
          `${first?.message ?? ''} — ${detail}`,
        );
      }
    } catch (err) {
      if (signal.aborted) return;
      show('unknown', '? Verify failed', errorText(err));
    } finally {
      inFlight = false;
      button.disabled = false;
      if (again && !signal.aborted) {
        again = false;
        refreshSoon();
      }
    }
  }

  /** Throttled refresh, for new events arriving. */
  function refreshSoon(): void {
    if (timer !== undefined || signal.aborted) return;
    const wait = Math.max(0, lastRun + THROTTLE_MS - Date.now());
    timer = setTimeout(() => {
      timer = undefined;
      void refresh();
    }, wait);
  }

  signal.addEventListener('abort', () => clearTimeout(timer));
  return { el, refresh: () => void refresh(), refreshSoon };
}
