import { EventEmitter } from 'node:events';
import { CliError, ExitCode, UsageError } from './errors';
import { PromptInput, obtainPassword, promptHidden } from './password';

/** A fake terminal: records raw mode, lets the test type. */
class FakeTty extends EventEmitter implements PromptInput {
  isTTY = true;
  rawModes: boolean[] = [];
  setRawMode(mode: boolean): this {
    this.rawModes.push(mode);
    return this;
  }
  setEncoding(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  pause(): this {
    return this;
  }
  type(text: string): void {
    this.emit('data', text);
  }
}

function output(): { write(text: string): void; text: string } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

describe('promptHidden', () => {
  it('reads a line in raw mode, never echoes it, handles backspace, and restores the terminal', async () => {
    const tty = new FakeTty();
    const out = output();
    const pending = promptHidden('Password: ', tty, out);
    tty.type('secrex');
    tty.type('\u007ft');
    tty.type('\r');
    await expect(pending).resolves.toBe('secret');
    expect(out.text).toBe('Password: \n');
    expect(tty.rawModes).toEqual([true, false]);
    expect(tty.listenerCount('data')).toBe(0);
  });

  it('Ctrl-C interrupts (exit 130)', async () => {
    const tty = new FakeTty();
    const pending = promptHidden('Password: ', tty, output());
    tty.type('abc\u0003');
    const error = await pending.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(ExitCode.interrupted);
    expect(tty.rawModes).toEqual([true, false]);
  });
});

describe('obtainPassword', () => {
  const notTty: PromptInput = new (class extends FakeTty {
    override isTTY = false;
  })();

  it('prefers --password, then IOTCLOUD_PASSWORD', async () => {
    await expect(
      obtainPassword({ flag: 'f', env: { IOTCLOUD_PASSWORD: 'e' }, input: notTty, output: output() }),
    ).resolves.toBe('f');
    await expect(obtainPassword({ env: { IOTCLOUD_PASSWORD: 'e' }, input: notTty, output: output() })).resolves.toBe(
      'e',
    );
  });

  it('is a usage error without a terminal to prompt on', async () => {
    const error = await obtainPassword({ env: {}, input: notTty, output: output() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(/--password.*IOTCLOUD_PASSWORD/);
  });

  it('prompts on a terminal, twice when confirming, and rejects a mismatch', async () => {
    const tty = new FakeTty();
    const pending = obtainPassword({ env: {}, input: tty, output: output(), confirm: true });
    tty.type('one\r');
    await new Promise((resolve) => setImmediate(resolve));
    tty.type('two\r');
    await expect(pending).rejects.toThrow(/do not match/);
  });
});
