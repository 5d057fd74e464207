/** What every command gets: the transport, the session, the options and the terminal. */
import { GlobalOptions } from '../args';
import { ConfigStore, StoredSession } from '../config-store';
import { NotLoggedInError } from '../errors';
import { CLI_NAME } from '../help';
import { JsonTransport } from '../http-client';
import { PromptInput, TextOutput } from '../password';

export interface CommandContext {
  readonly http: JsonTransport;
  /** The gateway URL in use (normalized). */
  readonly url: string;
  readonly store: ConfigStore;
  readonly options: GlobalOptions;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stdin: PromptInput;
  readonly stderr: TextOutput;
  /** Lines printed as they happen (the demo's progress); a no-op under --json. */
  progress(line: string): void;
  /** A line on stdout now, under --json too (watch's stream of events). */
  print(line: string): void;
  /** Wall-clock time in ms (Date.now). */
  now(): number;
  /** Waits `ms` (between polls of a job). */
  sleep(ms: number): Promise<void>;
  /** True when stdout is a terminal and not under --json: a progress bar can redraw its line. */
  readonly tty: boolean;
  /** Replaces the current line of the terminal with `line` (no newline); a no-op unless `tty`. */
  redraw(line: string): void;
}

/**
 * The access token of the saved session, if it is for this gateway and not
 * expired; otherwise a NotLoggedInError that says to run `iotcloud login`.
 */
export function requireToken(session: StoredSession | undefined, url: string, nowMs: number): string {
  if (session === undefined) {
    throw new NotLoggedInError(`Not logged in: run ${CLI_NAME} login USER`);
  }
  if (session.url.replace(/\/+$/, '') !== url) {
    throw new NotLoggedInError(
      `You are logged in to ${session.url}, not ${url}: run ${CLI_NAME} login USER --url ${url}`,
    );
  }
  if (Date.parse(session.expiresAt) <= nowMs) {
    throw new NotLoggedInError(
      `Your session as ${session.username} expired at ${session.expiresAt}: run ${CLI_NAME} login ${session.username}`,
      'TOKEN_EXPIRED',
    );
  }
  return session.accessToken;
}

/** The token for an authenticated request, from the context's session store. */
export function accessToken(ctx: CommandContext): string {
  return requireToken(ctx.store.read(), ctx.url, ctx.now());
}
