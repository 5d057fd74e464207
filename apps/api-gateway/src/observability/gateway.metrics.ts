import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { METRICS_REGISTRY, SeriesDeclarer } from '@app/common/nest';

/**
 * The gateway's own series (docs/operations.md lists them). Labels are bounded
 * sets: route templates, API names, outcomes, never device ids or user names.
 */
@Injectable()
export class GatewayMetrics {
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  readonly deviceCallDuration: Histogram<'api' | 'outcome'>;
  readonly brokerAuthDecisions: Counter<'check' | 'result'>;
  readonly brokerAuthDuration: Histogram<'check'>;
  readonly registrations: Counter<'key_type' | 'outcome'>;
  readonly presenceChanges: Counter<'change'>;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const series = new SeriesDeclarer(registry);
    this.httpRequestDuration = series.duration(
      'iotcloud_http_request_duration_seconds',
      'HTTP requests to the gateway, by route template, method and status',
      ['method', 'route', 'status'],
    );
    this.deviceCallDuration = series.duration(
      'iotcloud_gateway_device_call_duration_seconds',
      'Device calls as the gateway sees them: from sending the RPC to device-command until its answer',
      ['api', 'outcome'],
    );
    this.brokerAuthDecisions = series.counter(
      'iotcloud_broker_auth_decisions_total',
      "Answers to the broker's questions about devices, by check (user, vhost, resource, topic) and result",
      ['check', 'result'],
    );
    this.brokerAuthDuration = series.duration(
      'iotcloud_broker_auth_decision_duration_seconds',
      "Time to answer one of the broker's questions about a device",
      ['check'],
    );
    this.registrations = series.counter(
      'iotcloud_device_registrations_total',
      'Device registrations by key type (rsa, ec, csr) and outcome (ok or the error code)',
      ['key_type', 'outcome'],
    );
    this.presenceChanges = series.counter(
      'iotcloud_presence_changes_total',
      'Devices this replica recorded as connected or disconnected (from broker events or a reconciliation)',
      ['change'],
    );
  }
}
