import { Logger } from '@nestjs/common';

/** What amqplib rejects a publish with when the broker connection goes while it is unconfirmed. */
const LOST_WITH_CONNECTION = /^(channel closed|channel ended|connection closed)/i;

/**
 * Nest's RMQ server publishes each answer without handling the promise it gets
 * back; when the broker goes away (stopped, restarted, a node lost) with answers
 * unconfirmed, those promises reject and Node would end the process. Such an
 * answer is lost with the connection (its caller gets DEVICE_COMMAND_UNAVAILABLE):
 * log it and carry on. Any other unhandled rejection still ends the process.
 */
export function surviveRepliesLostWithTheBroker(logger = new Logger('Process')): void {
  process.on('unhandledRejection', (reason: unknown) => {
    const message = reason instanceof Error ? reason.message : String(reason);
    if (LOST_WITH_CONNECTION.test(message)) {
      logger.warn(`an answer was lost with the broker connection (${message})`);
      return;
    }
    logger.error(`unhandled rejection: ${reason instanceof Error ? (reason.stack ?? message) : message}`);
    process.exit(1);
  });
}
