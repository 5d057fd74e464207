import { Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { DeviceUnregisteredEvent } from '../../devices/domain/device-unregistered.event';
import { BrokerConnections } from '../broker-connections';

export const REVOCATION_SWEEP_DELAYS = Symbol('REVOCATION_SWEEP_DELAYS');

/**
 * Cuts a revoked device off at the broker: closes its live connections now and
 * in a few sweeps after (the management API lists connections a statistics
 * interval late, and the device may reconnect on a cached "allow" until the
 * broker's auth cache expires). From then on the platform refuses it.
 */
@EventsHandler(DeviceUnregisteredEvent)
export class DisconnectRevokedDeviceHandler implements IEventHandler<DeviceUnregisteredEvent>, OnModuleDestroy {
  private readonly logger = new Logger(DisconnectRevokedDeviceHandler.name);
  /** Sweeps still to come; cancelled on shutdown (the broker may be gone by then). */
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly connections: BrokerConnections,
    @Inject(REVOCATION_SWEEP_DELAYS) private readonly sweepDelaysMs: number[],
  ) {}

  handle({ deviceId, name }: DeviceUnregisteredEvent): void {
    for (const delay of this.sweepDelaysMs) {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        this.connections
          .closeConnectionsOf(deviceId, `device ${name} was unregistered`)
          .then(
            (closed) => closed > 0 && this.logger.log(`closed ${closed} connection(s) of revoked device ${deviceId}`),
          )
          .catch((error: unknown) =>
            this.logger.error(`could not disconnect revoked device ${deviceId}: ${String(error)}`),
          );
      }, delay).unref();
      this.pending.add(timer);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
