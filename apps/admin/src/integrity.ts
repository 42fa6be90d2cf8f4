import { errorText, getJson } from './api';
import { h, replaceChildren } from './dom';
import type { VerifyResult } from './types';

/**
 * At most one verify per this many ms when live events trigger it: verify walks
 * the whole chain, and a recording appends an event every second or so.
 */
const THROTTLE_MS = 15_000;

/**
 * The integrity badge: whether the hash chain verifies up to the head, or the
 * first bad seq and its code; invariant and projection checks ride along.
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
      if (r.ok && r.invariants?.ok !== false && r.projection?.ok !== false) {
        show('ok', `✓ Chain verifies to #${r.head}`, detail);
      } else if (r.firstBad) {
        show('bad', `✗ Chain broken at #${r.firstBad.seq} ${r.firstBad.code}`, `${r.firstBad.message} — ${detail}`);
      } else {
        const problems = [
          r.ok ? '' : 'chain',
          r.invariants?.ok === false ? `${r.invariants.violations.length} invariant violation(s)` : '',
          r.projection?.ok === false ? 'projection differs from log' : '',
        ].filter(Boolean);
        show('bad', `✗ ${problems.join(', ')}`, `${JSON.stringify(r.invariants?.violations ?? [])} — ${detail}`);
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
