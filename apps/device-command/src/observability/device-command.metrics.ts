import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, METRICS_REGISTRY } from '@app/common/nest';

/**
 * device-command's own series (docs/operations.md lists them). Labels are bounded
 * sets: API names, outcomes, shard numbers, never device ids.
 */
@Injectable()
export class DeviceCommandMetrics {
  readonly callDuration: Histogram<'api' | 'outcome'>;
  readonly deviceExchangeDuration: Histogram<'api' | 'kind' | 'outcome'>;
  readonly queueWait: Histogram;
  readonly waitingRequests: Gauge<'shard'>;
  readonly inFlightRequests: Gauge<'shard'>;
  readonly droppedReplies: Counter<'reason'>;
  readonly barriersSent: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.callDuration = new Histogram({
      name: 'iotcloud_device_command_call_duration_seconds',
      help: 'Device calls as device-command sees them: from taking the RPC off its shard queue until answering it',
      labelNames: ['api', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.deviceExchangeDuration = new Histogram({
      name: 'iotcloud_device_exchange_duration_seconds',
      help: "The hop to the device: from publishing a request (or a barrier) to the device until its reply (or the call's deadline)",
      labelNames: ['api', 'kind', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'iotcloud_device_queue_wait_seconds',
      help: 'Time a request waited behind earlier requests to the same device before its turn',
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.waitingRequests = new Gauge({
      name: 'iotcloud_device_command_waiting_requests',
      help: 'Requests waiting for their (busy) device, per shard',
      labelNames: ['shard'],
      registers,
    });
    this.inFlightRequests = new Gauge({
      name: 'iotcloud_device_command_in_flight_requests',
      help: 'RPC messages taken off a shard queue and not answered yet, per shard',
      labelNames: ['shard'],
      registers,
    });
    this.droppedReplies = new Counter({
      name: 'iotcloud_device_replies_dropped_total',
      help: 'Device replies nobody waited for: late (after their request timed out) or unsolicited',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['late', 'unsolicited']) this.droppedReplies.inc({ reason }, 0); // zero, not absent
    this.barriersSent = new Counter({
      name: 'iotcloud_device_barriers_sent_total',
      help: 'Barrier requests sent to fence off late replies after a timeout',
      registers,
    });
  }
}
