import { Query } from '@nestjs/cqrs';

export type ComponentStatus = { status: 'up'; latencyMs: number } | { status: 'down'; error: string };

export interface HealthReport {
  status: 'ok' | 'degraded';
  database: ComponentStatus;
  broker: ComponentStatus;
  deviceCommand: ComponentStatus;
}

export class GetHealthQuery extends Query<HealthReport> {}
