import { Controller, Get, Headers, Req, Res, UseGuards } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiHeader, ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PlatformEvent } from '@app/common';
import { AuthenticatedUser, CurrentUser, JwtAuthGuard } from '../../../auth/jwt-auth.guard';
import { AUTH_ERRORS, ApiErrors } from '../../../infrastructure/api-errors';
import { PlatformEventDto } from './platform-event.dto';
import { StreamEventsQuery } from './stream-events.query';

/** A comment line this often keeps proxies and clients from closing an idle stream. */
export const HEARTBEAT_MS = 15_000;

function sse(event: PlatformEvent): string {
  return `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

@ApiTags('events')
@ApiBearerAuth()
@UseGuards(JwtAuthGuard)
@Controller('events')
export class StreamEventsHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /**
   * Server-Sent Events of your own devices: `device.connected`, `device.disconnected`,
   * `device.registered`, `device.unregistered`, `command.completed`. Each message has
   * `id:`, `event:` (the type) and `data:` (the event as JSON). Reconnect with
   * `Last-Event-ID` to get what you missed (at least your last 1,000 events or 5 minutes).
   */
  @Get()
  @ApiProduces('text/event-stream')
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'Resume after this event id' })
  @ApiOkResponse({ type: PlatformEventDto, description: 'A text/event-stream of these events' })
  @ApiErrors(AUTH_ERRORS)
  async stream(
    @CurrentUser() user: AuthenticatedUser,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    const { replay, live } = await this.queryBus.execute(
      new StreamEventsQuery(user.userId, lastEventId?.trim() || undefined),
    );
    // Written raw, past Fastify; headers set earlier on the raw response (helmet's, X-Request-Id) go with it.
    reply.hijack();
    const response = reply.raw;
    response.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    response.write(': stream open\n\n');
    for (const event of replay) response.write(sse(event));
    // Same tick as the replay: nothing can fall between them.
    const subscription = live.subscribe({
      next: (event) => response.write(sse(event)),
      complete: () => response.end(), // the gateway is shutting down
    });
    const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), HEARTBEAT_MS);
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      subscription.unsubscribe();
    });
  }
}
