/** The password of signup/login: --password, else IOTCLOUD_PASSWORD, else a no-echo prompt on a terminal. */
import { CliError, ExitCode, UsageError } from './errors';

/** The parts of process.stdin a hidden prompt needs. */
export interface PromptInput {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
  setEncoding(encoding: BufferEncoding): unknown;
  on(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  removeListener(event: 'data', listener: (chunk: string | Buffer) => void): unknown;
  resume(): unknown;
  pause(): unknown;
}

export interface TextOutput {
  write(text: string): unknown;
  /** Set on a terminal (process.stdout). */
  readonly isTTY?: boolean;
}

/** Reads one line from a terminal without echoing it. */
export function promptHidden(question: string, input: PromptInput, output: TextOutput): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    let value = '';
    const finish = (error?: Error): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      output.write('\n');
      if (error) reject(error);
      else resolvePromise(value);
    };
    const onData = (chunk: string | Buffer): void => {
      for (const char of chunk.toString()) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new CliError('Interrupted', ExitCode.interrupted, 'INTERRUPTED'));
        if (char === '\u0004') {
          if (value === '') return finish(new CliError('Interrupted', ExitCode.interrupted, 'INTERRUPTED'));
          return finish();
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else if (char === '\u0015') value = '';
        else if (char >= ' ') value += char;
      }
    };
    input.setRawMode?.(true); // before the question: nothing typed after it may echo
    output.write(question);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

export interface PasswordSources {
  flag?: string;
  env: Readonly<Record<string, string | undefined>>;
  input: PromptInput;
  output: TextOutput;
  /** Ask twice (signup). */
  confirm?: boolean;
}

export async function obtainPassword(sources: PasswordSources): Promise<string> {
  if (sources.flag !== undefined) return sources.flag;
  const fromEnv = sources.env.IOTCLOUD_PASSWORD;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (sources.input.isTTY !== true || typeof sources.input.setRawMode !== 'function') {
    throw new UsageError(
      'no password: pass --password P or set IOTCLOUD_PASSWORD (stdin is not a terminal, so I cannot prompt)',
    );
  }
  const password = await promptHidden('Password: ', sources.input, sources.output);
  if (password === '') throw new UsageError('the password must not be empty');
  if (sources.confirm === true) {
    const again = await promptHidden('Repeat password: ', sources.input, sources.output);
    if (again !== password) throw new UsageError('the passwords do not match');
  }
  return password;
}
