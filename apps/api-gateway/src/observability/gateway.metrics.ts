import { Inject, Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { DURATION_BUCKETS, METRICS_REGISTRY } from '@app/common/nest';

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

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    const registers = [registry];
    this.httpRequestDuration = new Histogram({
      name: 'iotcloud_http_request_duration_seconds',
      help: 'HTTP requests to the gateway, by route template, method and status',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.deviceCallDuration = new Histogram({
      name: 'iotcloud_gateway_device_call_duration_seconds',
      help: 'Device calls as the gateway sees them: from sending the RPC to device-command until its answer',
      labelNames: ['api', 'outcome'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.brokerAuthDecisions = new Counter({
      name: 'iotcloud_broker_auth_decisions_total',
      help: "Answers to the broker's questions about devices, by check (user, vhost, resource, topic) and result",
      labelNames: ['check', 'result'],
      registers,
    });
    this.brokerAuthDuration = new Histogram({
      name: 'iotcloud_broker_auth_decision_duration_seconds',
      help: "Time to answer one of the broker's questions about a device",
      labelNames: ['check'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.registrations = new Counter({
      name: 'iotcloud_device_registrations_total',
      help: 'Device registrations by key type (rsa, ec, csr) and outcome (ok or the error code)',
      labelNames: ['key_type', 'outcome'],
      registers,
    });
  }
}
