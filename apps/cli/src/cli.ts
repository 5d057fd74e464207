/**
 * The CLI as a function: argv in, output written, exit code out. main.ts binds
 * it to the process; tests call it directly.
 */
import { Command, GlobalOptions, parseCommandLine, wantsJson } from './args';
import { ConfigStore, StoredSession, configPath } from './config-store';
import { exitCodeFor } from './errors';
import { CLI_NAME, CLI_VERSION, commandHelp, globalHelp } from './help';
import {
  HttpClient,
  HttpClientOptions,
  HttpMethod,
  HttpResponse,
  JsonTransport,
  RequestOptions,
  StreamOptions,
} from './http-client';
import { CommandResult, renderError, renderResult } from './output';
import { PromptInput, TextOutput } from './password';
import { defaultCaCandidates, resolveCa, resolveUrl } from './settings';
import { login, logout, signup } from './commands/auth';
import { CommandContext } from './commands/context';
import { demo } from './commands/demo';
import { history } from './commands/history';
import { cancelJob, runJob, showJob } from './commands/jobs';
import { watch } from './commands/watch';
import { runDeviceOperation } from './commands/device-ops';
import { listDevices, registerDevice, renewDevice, showDevice, unregisterDevice } from './commands/devices';

export interface ClosableTransport extends JsonTransport {
  close(): void;
}

export interface CliDeps {
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** The directory of the CLI's own code (for the default CA: certs/rootca.pem three levels up). */
  moduleDir: string;
  stdout: TextOutput;
  stderr: TextOutput;
  stdin: PromptInput;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  createTransport?: (options: HttpClientOptions) => ClosableTransport;
}

/** Creates the HTTPS client on the first request only: help, usage errors and logout never need it. */
class LazyTransport implements ClosableTransport {
  private client?: ClosableTransport;

  constructor(private readonly create: () => ClosableTransport) {}

  request(method: HttpMethod, path: string, options?: RequestOptions): Promise<HttpResponse> {
    this.client ??= this.create();
    return this.client.request(method, path, options);
  }

  stream(path: string, options: StreamOptions): Promise<void> {
    this.client ??= this.create();
    if (!this.client.stream) throw new Error('this transport cannot stream');
    return this.client.stream(path, options);
  }

  close(): void {
    this.client?.close();
  }
}

function readSessionQuietly(store: ConfigStore): StoredSession | undefined {
  try {
    return store.read();
  } catch {
    return undefined; // reported when a command needs the token
  }
}

function helpResult(topic: string | undefined): CommandResult {
  return { json: undefined, human: topic ? (commandHelp(topic) ?? globalHelp()) : globalHelp() };
}

function versionResult(): CommandResult {
  return { json: { version: CLI_VERSION }, human: `${CLI_NAME} ${CLI_VERSION}` };
}

function dispatch(ctx: CommandContext, command: Command): Promise<CommandResult> | CommandResult {
  switch (command.kind) {
    case 'signup':
      return signup(ctx, command);
    case 'login':
      return login(ctx, command);
    case 'logout':
      return logout(ctx);
    case 'devices.register':
      return registerDevice(ctx, command);
    case 'devices.renew':
      return renewDevice(ctx, command);
    case 'devices.list':
      return listDevices(ctx);
    case 'devices.show':
      return showDevice(ctx, command);
    case 'devices.unregister':
      return unregisterDevice(ctx, command);
    case 'demo':
      return demo(ctx, command);
    case 'watch':
      return watch(ctx, command);
    case 'history':
      return history(ctx, command);
    case 'job.run':
      return runJob(ctx, command);
    case 'job.show':
      return showJob(ctx, command);
    case 'job.cancel':
      return cancelJob(ctx, command);
    case 'help':
      return helpResult(command.topic);
    case 'version':
      return versionResult();
    default:
      return runDeviceOperation(ctx, command);
  }
}

function buildContext(
  deps: CliDeps,
  options: GlobalOptions,
  transport: (url: string) => ClosableTransport,
): {
  ctx: CommandContext;
  http: ClosableTransport;
} {
  const store = new ConfigStore(configPath(deps.env));
  const url = resolveUrl(options.url, deps.env, readSessionQuietly(store));
  const http = transport(url);
  const tty = !options.json && deps.stdout.isTTY === true;
  const ctx: CommandContext = {
    http,
    url,
    store,
    options,
    env: deps.env,
    cwd: deps.cwd,
    stdin: deps.stdin,
    stderr: deps.stderr,
    progress: options.json ? () => undefined : (line) => deps.stdout.write(`${line}\n`),
    print: (line) => deps.stdout.write(`${line}\n`),
    now: deps.now ?? Date.now,
    sleep: deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    tty,
    // \r and "erase line" redraw in place; the command ends the line when it is done.
    redraw: tty ? (line) => deps.stdout.write(`\r\x1b[2K${line}`) : () => undefined,
  };
  return { ctx, http };
}

export async function run(argv: readonly string[], deps: CliDeps): Promise<number> {
  const json = wantsJson(argv);
  let http: ClosableTransport | undefined;
  try {
    const { command, options } = parseCommandLine(argv);
    if (command.kind === 'help' || command.kind === 'version') {
      // Needs no gateway, session or CA; help is for people, so --json changes nothing there.
      const result = command.kind === 'version' ? versionResult() : helpResult(command.topic);
      deps.stdout.write(renderResult(result, options.json && command.kind === 'version').stdout ?? '');
      return 0;
    }
    const built = buildContext(
      deps,
      options,
      (url) =>
        new LazyTransport(() => {
          if (options.insecure) {
            deps.stderr.write(
              `warning: --insecure: the certificate of ${url} is NOT verified; anyone on the path can read your password and token.\n`,
            );
          }
          const trust = options.insecure
            ? {}
            : resolveCa(
                options.ca,
                deps.env,
                defaultCaCandidates(deps.moduleDir, deps.cwd),
                undefined,
                undefined,
                deps.cwd,
              );
          const clientOptions: HttpClientOptions = {
            baseUrl: url,
            ca: trust.ca,
            caFile: trust.caFile,
            insecure: options.insecure,
            userAgent: `${CLI_NAME}-cli/${CLI_VERSION}`,
          };
          return deps.createTransport ? deps.createTransport(clientOptions) : new HttpClient(clientOptions);
        }),
    );
    http = built.http;
    const result = await dispatch(built.ctx, command);
    const rendered = renderResult(result, options.json);
    if (rendered.stdout) deps.stdout.write(rendered.stdout);
    return result.exitCode ?? 0;
  } catch (error) {
    const rendered = renderError(error, json);
    if (rendered.stdout) deps.stdout.write(rendered.stdout);
    if (rendered.stderr) deps.stderr.write(rendered.stderr);
    const code = exitCodeFor(error);
    if (code === 1 && deps.env.IOTCLOUD_DEBUG && error instanceof Error && error.stack) {
      deps.stderr.write(`${error.stack}\n`);
    }
    return code;
  } finally {
    http?.close();
  }
}
