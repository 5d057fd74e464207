/** history: a device's command history (GET /devices/{name}/commands). */
import { CommandOf } from '../args';
import { CLI_NAME } from '../help';
import { CommandResult, field, formatTable } from '../output';
import { CommandContext, accessToken } from './context';

function formatHistory(body: unknown, name: string): string {
  const items = (body as { items?: unknown[] } | undefined)?.items ?? [];
  const next = (body as { nextBefore?: unknown } | undefined)?.nextBefore;
  if (items.length === 0) return `No commands recorded for ${name}.`;
  const ms = (value: unknown) => (typeof value === 'number' ? value.toFixed(1) : '-');
  const rows = items.map((c) => [
    field(c, 'commandId'),
    field(c, 'requestedAt'),
    field(c, 'api'),
    field(c, 'outcome'),
    ms((c as Record<string, unknown>).totalMs),
    ms((c as Record<string, unknown>).deviceMs),
  ]);
  const table = formatTable(['COMMAND ID', 'REQUESTED', 'API', 'OUTCOME', 'TOTAL MS', 'DEVICE MS'], rows);
  return typeof next === 'string' ? `${table}\nolder: ${CLI_NAME} history ${name} --before ${next}` : table;
}

export async function history(ctx: CommandContext, command: CommandOf<'history'>): Promise<CommandResult> {
  const res = await ctx.http.request('GET', `/devices/${encodeURIComponent(command.name)}/commands`, {
    token: accessToken(ctx),
    query: { limit: command.limit, before: command.before, api: command.api, outcome: command.outcome },
  });
  return { json: res.body, human: formatHistory(res.body, command.name) };
}
