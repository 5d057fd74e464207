import { Query } from '@nestjs/cqrs';

export type ComponentStatus = { status: 'up'; latencyMs: number } | { status: 'down'; error: string };

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: ComponentStatus;
  broker: ComponentStatus;
  deviceCommand: ComponentStatus;
  /** Commands recorded in the history since start, and those that ran but could not be recorded. */
  history: { recorded: number; unrecorded: number };
}

export class GetHealthQuery extends Query<HealthReport> {}
