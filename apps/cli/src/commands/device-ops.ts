/**
 * Device operations: one function per operation, each one request to the
 * gateway, which relays it to the device and answers with the device's reply.
 * The individual commands and `demo` both call these.
 */
import { DeviceApi, DeviceRequest, deviceApiDefinition, restPath, restPathFields } from '@app/device-protocol';
import { DeviceOperation, NetworkField, Operation } from '../args';
import { CommandResult, field, formatEpoch } from '../output';
import { CommandContext, accessToken } from './context';

/** `/devices/lamp`, or `/devices/lamp/gpio/5`. */
export function devicePath(name: string, ...rest: (string | number)[]): string {
  return ['/devices', name, ...rest.map(String)]
    .map((part, i) => (i === 0 ? part : encodeURIComponent(part)))
    .join('/');
}

/** The device API call an operation makes: its api and the whole request (path fields included). */
export interface DeviceCall {
  api: DeviceApi;
  request: Record<string, unknown>;
}

/**
 * The one mapping from an operation's words to the device API (`gpio set 5 1` →
 * `set_gpio {"number":5,"value":1}`), for a single device and for a job alike.
 * `nowMs` fills in `rtc set` without EPOCH.
 */
export function operationCall(operation: Operation, nowMs: number): DeviceCall {
  const call = <A extends DeviceApi>(api: A, request: DeviceRequest<A>): DeviceCall => ({ api, request });
  switch (operation.kind) {
    case 'status':
      return call('get_status', {});
    case 'restart':
      return call('set_status', { status: 'restart' });
    case 'gpio.get':
      return call('get_gpio', { number: operation.pin });
    case 'gpio.set':
      return call('set_gpio', { number: operation.pin, value: operation.value });
    case 'rtc.get':
      return call('get_rtc', {});
    case 'rtc.set':
      return call('set_rtc', { value: operation.epoch ?? Math.floor(nowMs / 1000) });
    case 'mac.get':
      return call('get_mac', {});
    case 'mac.set':
      return call('set_mac', { value: operation.mac });
    case 'network':
      return call(`get_${operation.field}`, {});
    case 'uart':
      return call('write_uart', { data: operation.text });
  }
}

/**
 * One device operation: method and path from the device API table, the request
 * fields the path does not carry as the JSON body, `?timeout=` when --timeout
 * was given. Returns the device's reply.
 */
async function perform(ctx: CommandContext, name: string, operation: Operation): Promise<unknown> {
  const { api, request } = operationCall(operation, ctx.now());
  const { method } = deviceApiDefinition(api).rest;
  const inPath = new Set(restPathFields(api));
  const body = Object.fromEntries(Object.entries(request).filter(([field]) => !inPath.has(field)));
  const response = await ctx.http.request(method, `${devicePath(name)}/${restPath(api, request)}`, {
    body: Object.keys(body).length > 0 ? body : undefined,
    token: accessToken(ctx),
    query: { timeout: ctx.options.timeoutMs },
  });
  return response.body;
}

export async function getStatus(ctx: CommandContext, name: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'status' });
  return { json: reply, human: `${name}: ${field(reply, 'status')}` };
}

export async function restart(ctx: CommandContext, name: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'restart' });
  return { json: reply, human: `${name}: ${field(reply, 'status')}` };
}

export async function getGpio(ctx: CommandContext, name: string, pin: number): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'gpio.get', pin });
  return { json: reply, human: `${name}: gpio ${field(reply, 'number')} = ${field(reply, 'value')}` };
}

export async function setGpio(ctx: CommandContext, name: string, pin: number, value: 0 | 1): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'gpio.set', pin, value });
  return { json: reply, human: `${name}: gpio ${field(reply, 'number')} set to ${field(reply, 'value')}` };
}

export async function getRtc(ctx: CommandContext, name: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'rtc.get' });
  return { json: reply, human: `${name}: rtc = ${formatEpoch(field(reply, 'value'))}` };
}

/** Sets the clock to `epoch` seconds, or to now. */
export async function setRtc(ctx: CommandContext, name: string, epoch?: number): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'rtc.set', epoch });
  return { json: reply, human: `${name}: rtc set to ${formatEpoch(field(reply, 'value'))}` };
}

export async function getMac(ctx: CommandContext, name: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'mac.get' });
  return { json: reply, human: `${name}: mac = ${field(reply, 'value')}` };
}

export async function setMac(ctx: CommandContext, name: string, mac: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'mac.set', mac });
  return { json: reply, human: `${name}: mac set to ${field(reply, 'value')}` };
}

/** ip, subnet or gateway. */
export async function getNetwork(ctx: CommandContext, name: string, which: NetworkField): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'network', field: which });
  return { json: reply, human: `${name}: ${which} = ${field(reply, 'value')}` };
}

export async function writeUart(ctx: CommandContext, name: string, text: string): Promise<CommandResult> {
  const reply = await perform(ctx, name, { kind: 'uart', text });
  return { json: reply, human: `${name}: uart echoed ${JSON.stringify(field(reply, 'data'))}` };
}

export function runDeviceOperation(ctx: CommandContext, command: DeviceOperation): Promise<CommandResult> {
  switch (command.kind) {
    case 'status':
      return getStatus(ctx, command.name);
    case 'restart':
      return restart(ctx, command.name);
    case 'gpio.get':
      return getGpio(ctx, command.name, command.pin);
    case 'gpio.set':
      return setGpio(ctx, command.name, command.pin, command.value);
    case 'rtc.get':
      return getRtc(ctx, command.name);
    case 'rtc.set':
      return setRtc(ctx, command.name, command.epoch);
    case 'mac.get':
      return getMac(ctx, command.name);
    case 'mac.set':
      return setMac(ctx, command.name, command.mac);
    case 'network':
      return getNetwork(ctx, command.name, command.field);
    case 'uart':
      return writeUart(ctx, command.name, command.text);
  }
}
