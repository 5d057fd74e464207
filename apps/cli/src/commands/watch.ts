/** watch: print the caller's device events as they happen (GET /events), resuming after drops. */
import { CommandOf } from '../args';
import { GatewayUnreachableError } from '../errors';
import { StreamMessage } from '../http-client';
import { CommandResult } from '../output';
import { CommandContext, accessToken } from './context';

/** Wait before reconnecting after the stream ended or broke. */
export const RECONNECT_DELAY_MS = 1000;

interface StreamedEvent {
  id?: string;
  type?: string;
  at?: string;
  deviceName?: string;
  data?: Record<string, unknown>;
}

const MQTT_VERSIONS: Record<number, string> = { 3: 'MQTT 3.1', 4: 'MQTT 3.1.1', 5: 'MQTT 5' };

/** One event as a line for people: `2026-12-07T17:00:01.234Z  lamp  device.connected  mqtt (MQTT 3.1.1)`. */
export function formatEvent(event: StreamedEvent): string {
  const data = event.data ?? {};
  let detail = '';
  switch (event.type) {
    case 'device.connected': {
      const level = typeof data.protocolLevel === 'number' ? MQTT_VERSIONS[data.protocolLevel] : undefined;
      const transport = typeof data.transport === 'string' ? data.transport : '';
      detail = `${transport}${level ? ` (${level})` : ''}`;
      break;
    }
    case 'device.disconnected':
      detail = typeof data.reason === 'string' ? data.reason : '';
      break;
    case 'command.completed':
      detail = `${String(data.api)} ${String(data.outcome)} ${Number(data.latencyMs).toFixed(1)} ms  id ${String(data.commandId)}`;
      break;
  }
  return [event.at ?? '', event.deviceName ?? '', event.type ?? '', detail].filter((s) => s !== '').join('  ');
}

export async function watch(ctx: CommandContext, command: CommandOf<'watch'>): Promise<CommandResult> {
  const token = accessToken(ctx);
  const stream = ctx.http.stream?.bind(ctx.http);
  if (!stream) throw new Error('this transport cannot stream');
  let lastEventId: string | undefined;
  const onMessage = (message: StreamMessage) => {
    if (message.id) lastEventId = message.id;
    let event: StreamedEvent;
    try {
      event = JSON.parse(message.data) as StreamedEvent;
    } catch {
      return;
    }
    ctx.print(ctx.options.json ? JSON.stringify(event) : formatEvent(event));
  };
  if (!ctx.options.json) ctx.stderr.write(`watching the events of your devices at ${ctx.url} (Ctrl-C stops)\n`);
  for (let attempt = 1; command.maxConnections === undefined || attempt <= command.maxConnections; attempt++) {
    try {
      await stream('/events', { token, lastEventId, onMessage });
    } catch (error) {
      // Gone for a while (restart, network): resume with Last-Event-ID. An answer like 401 ends it.
      if (!(error instanceof GatewayUnreachableError)) throw error;
    }
    if (command.maxConnections !== undefined && attempt >= command.maxConnections) break;
    await new Promise((resolve) => setTimeout(resolve, RECONNECT_DELAY_MS));
  }
  return { json: undefined, human: '' };
}
