import type { Attrs, Child } from './dom';
import type { LiveFeed } from './live';
import type { StoredEvent } from './types';

/**
 * What the shell and its views share: a view's shape and what the shell hands
 * it. Its own module so views depend on it, not on the shell that builds them.
 */

/** A screen (or the detail drawer): its root element and how to let it go. */
export interface View {
  readonly el: HTMLElement;
  destroy(): void;
  /** The event shown in the drawer, so a table can highlight its row. */
  select?(seq: number | undefined): void;
}

/** What views get from the shell. */
export interface Ctx {
  /** Aborted when the session ends (sign-out, 401). */
  readonly signal: AbortSignal;
  readonly live: LiveFeed;
  /** Live-tail pause, shared by every table view. */
  readonly tail: { paused: boolean };
  navigate(href: string, options?: { replace?: boolean }): void;
  /** Rebuilds the current view from its URL (e.g. back to the newest events). */
  reload(): void;
  /** An in-app link: a real href (new tab works) that navigates without reloading. */
  link(href: string, attrs: Attrs | null, ...children: Child[]): HTMLAnchorElement;
  /** The current URL with the detail drawer on this event. */
  eventHref(seq: number): string;
  /** Head seq seen so far (from responses and the live tail). */
  head(): number;
}

/**
 * A view's data loaded now and again after the live events `wanted` picks,
 * at most once per `ms` however many arrive; a load asked for while one runs
 * runs once after it. `stop` ends it (timer and subscription).
 */
export function liveReload(
  ctx: Ctx,
  options: { readonly ms: number; readonly signal: AbortSignal; readonly wanted: (e: StoredEvent) => boolean },
  render: () => Promise<void>,
): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let loading = false;
  let again = false;
  async function load(): Promise<void> {
    if (loading) {
      again = true;
      return;
    }
    loading = true;
    try {
      await render();
    } finally {
      loading = false;
      if (again && !options.signal.aborted) {
        again = false;
        soon();
      }
    }
  }
  function soon(): void {
    if (timer !== undefined || options.signal.aborted) return;
    timer = setTimeout(() => {
      timer = undefined;
      void load();
    }, options.ms);
  }
  const unsubscribe = ctx.live.subscribe((e) => {
    if (options.wanted(e)) soon();
  });
  void load();
  return {
    stop: () => {
      clearTimeout(timer);
      unsubscribe();
    },
  };
}
