import { getJson } from './api';
import { isStoredEvent, type AuthStatus, type StoredEvent } from './types';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

const RETRY_MS = 3000;

/**
 * The live tail: one EventSource on /api/events/stream for the whole session.
 * EventSource reconnects by itself with Last-Event-ID while the connection
 * drops; when it gives up (a non-200 answer, e.g. 401), we check the session
 * and open a new one from the last seq we saw. Events are handed on once each,
 * in seq order.
 */
export class LiveFeed {
  private source: EventSource | undefined;
  private last = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(
    private readonly onStatus: (status: LiveStatus) => void,
    private readonly onSignedOut: () => void,
  ) {}

  /** Starts the tail after `after` (the head the caller already has). */
  start(after: number): void {
    this.last = after;
    this.connect();
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.source?.close();
    this.source = undefined;
  }

  private connect(): void {
    if (this.stopped) return;
    this.onStatus(this.last > 0 && this.source ? 'reconnecting' : 'connecting');
    const source = new EventSource(`/api/events/stream?after=${this.last}`);
    this.source = source;
    source.onopen = () => this.onStatus('live');
    source.onmessage = (message) => {
      this.onStatus('live');
      let event: unknown;
      try {
        event = JSON.parse(message.data as string);
      } catch {
        return;
      }
      if (!isStoredEvent(event) || event.seq <= this.last) return;
      this.last = event.seq;
      for (const listener of this.listeners) listener(event);
    };
    source.onerror = () => {
      if (source.readyState !== EventSource.CLOSED) {
        this.onStatus('reconnecting');
        return;
      }
      source.close();
      this.onStatus('offline');
      clearTimeout(this.retry);
      this.retry = setTimeout(() => void this.reopen(), RETRY_MS);
    };
  }

  private async reopen(): Promise<void> {
    if (this.stopped) return;
    try {
      const status = await getJson<AuthStatus>('/api/auth/status');
      if (status.required && !status.authenticated) {
        this.onSignedOut();
        return;
      }
    } catch {
      // Server unreachable: keep trying.
    }
    this.connect();
  }
}
