import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** The last `capacity` lines of the service's own log, for GET /api/log. */
export class LogBuffer {
  private readonly lines: string[] = [];

  constructor(private readonly capacity = 200) {}

  push(line: string): void {
    for (const part of line.split('\n')) {
      this.lines.push(part.length > 2000 ? `${part.slice(0, 2000)}…` : part);
      if (this.lines.length > this.capacity) this.lines.shift();
    }
  }

  text(): string {
    return this.lines.length === 0 ? '' : `${this.lines.join('\n')}\n`;
  }
}

const QUIET_CONTEXTS = new Set(['RoutesResolver', 'RouterExplorer', 'InstanceLoader', 'NestFactory']);

/** Nest's console logger that also keeps what it prints in a LogBuffer. */
export class BufferedLogger extends ConsoleLogger {
  constructor(
    private readonly buffer: LogBuffer,
    options: { readonly quiet?: boolean; readonly levels?: LogLevel[] } = {},
  ) {
    super('qmdl-ledger', { logLevels: options.levels ?? ['log', 'error', 'warn'] });
    this.quiet = options.quiet ?? false;
  }

  private readonly quiet: boolean;

  protected override printMessages(
    messages: unknown[],
    context = '',
    logLevel: LogLevel = 'log',
    writeStreamType?: 'stdout' | 'stderr',
  ): void {
    // Nest's start-up chatter (one line per mapped route) would fill the buffer /api/log serves.
    if (logLevel === 'log' && QUIET_CONTEXTS.has(context)) return;
    const time = new Date().toISOString();
    for (const message of messages) {
      const text =
        typeof message === 'string'
          ? message
          : message instanceof Error
            ? (message.stack ?? message.message)
            : JSON.stringify(message);
      this.buffer.push(`${time} ${logLevel.toUpperCase()} ${context ? `[${context}] ` : ''}${text}`);
    }
    if (!this.quiet) super.printMessages(messages, context, logLevel, writeStreamType);
  }

  protected override printStackTrace(stack: string): void {
    if (stack) this.buffer.push(stack);
    if (!this.quiet) super.printStackTrace(stack);
  }
}

/**
 * A log call for errors that can come in floods (every accept failing while
 * descriptors are exhausted, a sampler failing every 20 ms): at most one line
 * per `intervalMs`, saying how many were left out since the last one.
 */
export function coalesced(log: (message: string) => void, intervalMs = 10_000): (message: string) => void {
  let left = 0;
  let lastAt = Number.NEGATIVE_INFINITY;
  return (message) => {
    const now = performance.now();
    if (now - lastAt < intervalMs) {
      left += 1;
      return;
    }
    log(left > 0 ? `${message} (and ${left} more like it since the last report)` : message);
    left = 0;
    lastAt = now;
  };
}
