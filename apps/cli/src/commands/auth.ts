/** signup, login, logout. */
import { CommandOf } from '../args';
import { ApiError } from '../errors';
import { CLI_NAME } from '../help';
import { CommandResult } from '../output';
import { obtainPassword } from '../password';
import { CommandContext } from './context';

function password(ctx: CommandContext, flag: string | undefined, confirm: boolean): Promise<string> {
  return obtainPassword({ flag, env: ctx.env, input: ctx.stdin, output: ctx.stderr, confirm });
}

export async function signup(ctx: CommandContext, args: CommandOf<'signup'>): Promise<CommandResult> {
  const secret = await password(ctx, args.password, true);
  const response = await ctx.http.request('POST', '/auth/signup', {
    body: { username: args.username, password: secret },
  });
  return {
    json: response.body,
    human: `Account "${args.username}" created on ${ctx.url}. Next: ${CLI_NAME} login ${args.username}`,
  };
}

interface LoginBody {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
}

function isLoginBody(body: unknown): body is LoginBody {
  if (typeof body !== 'object' || body === null) return false;
  const b = body as Record<string, unknown>;
  return (
    typeof b.accessToken === 'string' && b.accessToken !== '' && typeof b.expiresIn === 'number' && b.expiresIn > 0
  );
}

export async function login(ctx: CommandContext, args: CommandOf<'login'>): Promise<CommandResult> {
  const secret = await password(ctx, args.password, false);
  const response = await ctx.http.request('POST', '/auth/login', {
    body: { username: args.username, password: secret },
  });
  if (!isLoginBody(response.body)) {
    throw new ApiError(response.status, 'BAD_RESPONSE', `${ctx.url} answered the login without an access token`);
  }
  const expiresAt = new Date(ctx.now() + response.body.expiresIn * 1000).toISOString();
  ctx.store.write({ url: ctx.url, username: args.username, accessToken: response.body.accessToken, expiresAt });
  return {
    json: response.body,
    human: `Logged in to ${ctx.url} as ${args.username}; the token is valid until ${expiresAt} (saved in ${ctx.store.path}).`,
  };
}

export function logout(ctx: CommandContext): CommandResult {
  let who = '';
  try {
    const session = ctx.store.read();
    if (session) who = ` as ${session.username} from ${session.url}`;
  } catch {
    // An unreadable session file is deleted all the same.
  }
  const removed = ctx.store.clear();
  return {
    json: undefined,
    human: removed ? `Logged out${who} (removed ${ctx.store.path}).` : 'Not logged in: nothing to do.',
  };
}
