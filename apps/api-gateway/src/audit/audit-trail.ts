import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { currentRequest, sortableId } from '@app/common';
import { BatchedWriter } from '../infrastructure/batched-writer';
import { Retention } from '../infrastructure/retention';
import { AUDIT_REPOSITORY, AuditRepository } from './database/audit.repository.port';
import { AuditAction, AuditEntry } from './domain/audit-entry';

const FLUSH_EVERY_MS = 250;

export interface AuditSettings {
  retentionDays: number;
}

export const AUDIT_SETTINGS = Symbol('AUDIT_SETTINGS');

export interface AuditFact {
  userId: string;
  action: AuditAction;
  outcome: string;
  deviceName?: string;
  deviceId?: string;
}

/**
 * The account and registry audit trail. Handlers say what happened; the trail adds
 * when, and from where (source address, request id) from the request being served,
 * and writes in batches off the request path.
 */
@Injectable()
export class AuditTrail implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(AuditTrail.name);
  private readonly writer: BatchedWriter<AuditEntry>;
  private timer?: NodeJS.Timeout;

  private readonly retention: Retention;

  constructor(@Inject(AUDIT_REPOSITORY) repository: AuditRepository, @Inject(AUDIT_SETTINGS) settings: AuditSettings) {
    this.retention = new Retention('audit trail', repository, settings.retentionDays, this.logger);
    this.writer = new BatchedWriter(
      'audit trail',
      (batch) => repository.insertMany(batch),
      { batchSize: 200, maxPending: 20_000 },
      this.logger,
    );
  }

  async onApplicationBootstrap(): Promise<void> {
    this.timer = setInterval(() => void this.writer.flush(), FLUSH_EVERY_MS);
    this.timer.unref();
    await this.retention.start();
  }

  record(fact: AuditFact): void {
    const request = currentRequest();
    this.writer.add({
      id: sortableId(),
      at: new Date(),
      sourceAddress: request?.sourceAddress ?? null,
      requestId: request?.requestId ?? null,
      ...fact,
    });
  }

  get unrecorded(): number {
    return this.writer.unrecorded;
  }

  flush(): Promise<void> {
    return this.writer.flush();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    this.retention.stop();
    await this.writer.flush();
  }
}
