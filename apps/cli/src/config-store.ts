/**
 * Where the CLI keeps the session of `iotcloud login`: one JSON file, mode 0600,
 * in a directory created with mode 0700.
 */
import { readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { CliError, ExitCode, NotLoggedInError } from './errors';
import { ensurePrivateDir, writeSecretFile } from './secret-file';

/** What `login` saves. */
export interface StoredSession {
  /** The gateway the token was issued by. */
  url: string;
  username: string;
  accessToken: string;
  /** ISO time the token stops being accepted. */
  expiresAt: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/** `$IOTCLOUD_CONFIG`, else `$XDG_CONFIG_HOME/iotcloud/config.json`, else `~/.config/iotcloud/config.json`. */
export function configPath(env: Env, home: string = homedir()): string {
  const explicit = nonEmpty(env.IOTCLOUD_CONFIG);
  if (explicit) return resolve(explicit);
  const xdg = nonEmpty(env.XDG_CONFIG_HOME);
  return join(xdg ? resolve(xdg) : join(home, '.config'), 'iotcloud', 'config.json');
}

function isStoredSession(value: unknown): value is StoredSession {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.url === 'string' &&
    typeof v.username === 'string' &&
    typeof v.accessToken === 'string' &&
    typeof v.expiresAt === 'string' &&
    !Number.isNaN(Date.parse(v.expiresAt))
  );
}

export class ConfigStore {
  constructor(readonly path: string) {}

  /** The saved session, or undefined when there is none. */
  read(): StoredSession | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(
        `Cannot read ${this.path}: ${(error as Error).message}`,
        ExitCode.internal,
        'CONFIG_UNREADABLE',
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!isStoredSession(parsed)) {
      throw new NotLoggedInError(`${this.path} is not a valid iotcloud session: run iotcloud login USER`);
    }
    return { url: parsed.url, username: parsed.username, accessToken: parsed.accessToken, expiresAt: parsed.expiresAt };
  }

  /** Saves the session (mode 0600; the directory is created with mode 0700). */
  write(session: StoredSession): void {
    try {
      ensurePrivateDir(dirname(this.path));
      writeSecretFile(this.path, `${JSON.stringify(session, null, 2)}\n`);
    } catch (error) {
      throw new CliError(
        `Cannot save the session to ${this.path}: ${(error as Error).message}`,
        ExitCode.internal,
        'CONFIG_UNWRITABLE',
      );
    }
  }

  /** Deletes the saved session; false when there was none. */
  clear(): boolean {
    try {
      rmSync(this.path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw new CliError(
        `Cannot delete ${this.path}: ${(error as Error).message}`,
        ExitCode.internal,
        'CONFIG_UNWRITABLE',
      );
    }
  }
}
