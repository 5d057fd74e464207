import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY, SeriesDeclarer } from '@app/common/nest';

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
  readonly fences: Counter<'reason'>;
  readonly offlineRetries: Counter;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const series = new SeriesDeclarer(registry);
    this.callDuration = series.duration(
      'iotcloud_device_command_call_duration_seconds',
      'Device calls as device-command sees them: from taking the RPC off its shard queue until answering it',
      ['api', 'outcome'],
    );
    this.deviceExchangeDuration = series.duration(
      'iotcloud_device_exchange_duration_seconds',
      "The hop to the device: from publishing a request (or a barrier) to the device until its reply (or the call's deadline)",
      ['api', 'kind', 'outcome'],
    );
    this.queueWait = series.duration(
      'iotcloud_device_queue_wait_seconds',
      'Time a request waited behind earlier requests to the same device before its turn',
    );
    this.waitingRequests = series.gauge(
      'iotcloud_device_command_waiting_requests',
      'Requests waiting for their (busy) device, per shard',
      ['shard'],
    );
    this.inFlightRequests = series.gauge(
      'iotcloud_device_command_in_flight_requests',
      'RPC messages taken off a shard queue and not answered yet, per shard',
      ['shard'],
    );
    this.droppedReplies = series.counter(
      'iotcloud_device_replies_dropped_total',
      'Device replies nobody waited for: late (after their request timed out) or unsolicited',
      ['reason'],
      [{ reason: 'late' }, { reason: 'unsolicited' }], // zero, not absent
    );
    this.barriersSent = series.counter(
      'iotcloud_device_barriers_sent_total',
      'Barrier requests sent to fence off late replies after a timeout',
    );
    this.fences = series.counter(
      'iotcloud_device_fences_total',
      "Fences (two barrier requests) before a device's first request after a shard takeover or a reconnection",
      ['reason'],
      [{ reason: 'takeover' }, { reason: 'reconnect' }], // zero, not absent
    );
    this.offlineRetries = series.counter(
      'iotcloud_device_offline_retries_total',
      'Requests tried again after finding their device offline while it was expected back (its broker node lost)',
    );
  }
}
