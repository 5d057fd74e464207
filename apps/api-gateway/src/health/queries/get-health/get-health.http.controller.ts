import { Controller, Get, HttpStatus, Res } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { FastifyReply } from 'fastify';
import { GetHealthQuery, HealthReport } from './get-health.query';

const COMPONENT_SCHEMA: SchemaObject = {
  oneOf: [
    {
      type: 'object',
      required: ['status', 'latencyMs'],
      properties: { status: { type: 'string', enum: ['up'] }, latencyMs: { type: 'number' } },
    },
    {
      type: 'object',
      required: ['status', 'error'],
      properties: { status: { type: 'string', enum: ['down'] }, error: { type: 'string' } },
    },
  ],
};

const HEALTH_REPORT_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status', 'database', 'broker', 'deviceCommand'],
  properties: {
    status: { type: 'string', enum: ['ok', 'degraded'] },
    database: COMPONENT_SCHEMA,
    broker: COMPONENT_SCHEMA,
    deviceCommand: COMPONENT_SCHEMA,
  },
};

@ApiTags('health')
@Controller('health')
export class GetHealthHttpController {
  constructor(private readonly queryBus: QueryBus) {}

  /** Status of the database, the broker and the device-command service. 503 when any is down. */
  @Get()
  @ApiOkResponse({ description: 'Everything is up', schema: HEALTH_REPORT_SCHEMA })
  @ApiServiceUnavailableResponse({ description: 'Something is down; the body says what', schema: HEALTH_REPORT_SCHEMA })
  async health(@Res({ passthrough: true }) response: FastifyReply): Promise<HealthReport> {
    const report = await this.queryBus.execute(new GetHealthQuery());
    response.code(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }

  /**
   * Liveness: the process is up and its event loop turns (it answers). Checks nothing
   * else, so a broker or database outage never gets a healthy gateway restarted.
   */
  @Get('live')
  @ApiOkResponse({ description: 'The process is up' })
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Readiness: the database, the broker and device-command all answer. 503 when any is down. */
  @Get('ready')
  @ApiOkResponse({ description: 'Ready to serve' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down; the body says which' })
  ready(@Res({ passthrough: true }) response: FastifyReply): Promise<HealthReport> {
    return this.health(response);
  }
}
