/** The store's logging port; the apps plug in their own (console, ring buffer for /api/log). */
export interface LedgerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: LedgerLogger = {
  info: (m) => process.stdout.write(`${new Date().toISOString()} INFO  ${m}\n`),
  warn: (m) => process.stderr.write(`${new Date().toISOString()} WARN  ${m}\n`),
  error: (m) => process.stderr.write(`${new Date().toISOString()} ERROR ${m}\n`),
};

export const silentLogger: LedgerLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
