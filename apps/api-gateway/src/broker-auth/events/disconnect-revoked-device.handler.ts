import { Inject, Logger, OnModuleDestroy } from '@nestjs/common';
import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { CertificateRetiredEvent } from '../../devices/domain/certificate-retired.event';
import { DeviceUnregisteredEvent } from '../../devices/domain/device-unregistered.event';
import { certificateUsername } from '../broker-identity';
import { BrokerConnections } from '../broker-connections';

export const REVOCATION_SWEEP_DELAYS = Symbol('REVOCATION_SWEEP_DELAYS');

/**
 * Cuts a revoked device, or a retired certificate of a renewed one, off at the broker:
 * closes the live connections of the broker usernames concerned at the moment access ends
 * and in a few sweeps after (the management API lists connections a statistics interval
 * late, and a client may reconnect on a cached "allow" until the broker's auth cache
 * expires). From then on the platform refuses those logins.
 *
 * A renewal's grace window is waited out with a timer in this process: if the gateway
 * restarts during it, the platform still refuses the old certificate once the window ends,
 * but a connection it opened before stays until it drops (docs/security.md).
 */
@EventsHandler(DeviceUnregisteredEvent, CertificateRetiredEvent)
export class DisconnectRevokedDeviceHandler
  implements IEventHandler<DeviceUnregisteredEvent | CertificateRetiredEvent>, OnModuleDestroy
{
  private readonly logger = new Logger(DisconnectRevokedDeviceHandler.name);
  /** Sweeps still to come; cancelled on shutdown (the broker may be gone by then). */
  private readonly pending = new Set<NodeJS.Timeout>();

  constructor(
    private readonly connections: BrokerConnections,
    @Inject(REVOCATION_SWEEP_DELAYS) private readonly sweepDelaysMs: number[],
  ) {}

  handle(event: DeviceUnregisteredEvent | CertificateRetiredEvent): void {
    if (event instanceof CertificateRetiredEvent) {
      const username = certificateUsername(event.deviceId, event.certificate);
      const startIn = Math.max(0, event.at.getTime() - Date.now());
      this.sweep([username], `device ${event.name} has a new certificate`, startIn);
    } else {
      // Every certificate the device could still log in with, and its password logins.
      const usernames = [event.deviceId, ...event.certificates.map((c) => certificateUsername(event.deviceId, c))];
      this.sweep(usernames, `device ${event.name} was unregistered`, 0);
    }
  }

  private sweep(usernames: string[], reason: string, startInMs: number): void {
    for (const delay of this.sweepDelaysMs) {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        for (const username of usernames) {
          this.connections
            .closeConnectionsOf(username, reason)
            .then((closed) => closed > 0 && this.logger.log(`closed ${closed} connection(s) of ${username}: ${reason}`))
            .catch((error: unknown) => this.logger.error(`could not disconnect ${username}: ${String(error)}`));
        }
      }, startInMs + delay).unref();
      this.pending.add(timer);
    }
  }

  onModuleDestroy(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
