import { Inject, Injectable, Logger } from '@nestjs/common';
import { LedgerError, type RefusalCode } from '@ledger/domain';
import type { CommandResult, Ledger, LedgerCommand } from '@ledger/store';
import { contextOf, reflectSeq } from './request-context';
import { LEDGER } from './tokens';

/**
 * Runs a command for an HTTP request: the request's actor and correlation id go
 * with it, the response reflects the seq after it, and a refusal becomes a
 * LedgerError with the refusal's code (the exception filter picks the status).
 */
@Injectable()
export class CommandRunner {
  private readonly logger = new Logger('commands');

  constructor(@Inject(LEDGER) private readonly ledger: Ledger) {}

  async run(
    req: unknown,
    command: LedgerCommand,
    options: { readonly accept?: readonly RefusalCode[] } = {},
  ): Promise<CommandResult> {
    const context = contextOf(req);
    const result = await this.ledger.execute(command, { actor: context.actor, correlationId: context.correlationId });
    reflectSeq(req, result.seq);
    const who = context.actor.kind === 'http' ? context.actor.remoteAddress : context.actor.kind;
    if (result.ok) {
      this.logger.log(
        `${command.type} by ${who} (${context.correlationId}): ${result.events.map((e) => e.type).join(', ') || 'no events'} → seq ${result.seq}`,
      );
      return result;
    }
    this.logger.log(`${command.type} by ${who} (${context.correlationId}) refused: ${result.refusal.code}`);
    if (options.accept?.includes(result.refusal.code)) return result;
    throw new LedgerError(
      result.refusal.code,
      result.refusal.message,
      result.refusal.details ? { details: { ...result.refusal.details } } : {},
    );
  }
}
