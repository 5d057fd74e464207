import 'reflect-metadata';
import { validateConfigWith } from './validate-config';
import {
  IsBooleanSetting,
  IsHostSetting,
  IsIntSetting,
  IsPatternSetting,
  IsPortSetting,
  IsSecretSetting,
  IsTextSetting,
} from './setting-decorators';

class Example {
  @IsIntSetting(1, 10)
  COUNT: number = 5;

  @IsPortSetting({ zeroDisables: true })
  LISTEN_PORT: number = 80;

  @IsHostSetting()
  LISTEN_HOST: string = '127.0.0.1';

  @IsTextSetting()
  USER: string = 'admin';

  @IsPatternSetting(/^https:\/\//, 'URL must be an https URL')
  URL: string = 'https://example';

  @IsSecretSetting(16)
  SECRET: string;

  @IsBooleanSetting(true)
  ENABLED: boolean = true;
}

describe('setting decorators (one per kind of setting)', () => {
  const validate = validateConfigWith(Example);
  const secret = { SECRET: 's'.repeat(16) };
  const problems = (raw: Record<string, unknown>) => {
    try {
      validate(raw);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('converts env text and applies the defaults', () => {
    expect(validate({ ...secret, COUNT: '10', LISTEN_PORT: '0', ENABLED: 'no' })).toMatchObject({
      COUNT: 10,
      LISTEN_PORT: 0,
      LISTEN_HOST: '127.0.0.1',
      ENABLED: false,
    });
    expect(validate({ ...secret, ENABLED: '' }).ENABLED).toBe(true);
    expect(validate({ ...secret, ENABLED: 'YES' }).ENABLED).toBe(true);
  });

  it('names every variable out of its bounds or form, and says how to generate a secret', () => {
    const message = problems({
      COUNT: '11',
      LISTEN_PORT: '65536',
      LISTEN_HOST: '',
      USER: '',
      URL: 'http://x',
      SECRET: 'short',
      ENABLED: 'maybe',
    });
    expect(message).toContain('COUNT must not be greater than 10');
    expect(message).toContain('LISTEN_PORT must not be greater than 65535');
    expect(message).toContain('LISTEN_HOST should not be empty');
    expect(message).toContain('USER should not be empty');
    expect(message).toContain('URL must be an https URL');
    expect(message).toContain('SECRET must be at least 16 characters (run `npm run setup` to generate one)');
    expect(message).toContain('ENABLED must be a boolean value');
    expect(problems({ ...secret, COUNT: '0', LISTEN_PORT: '-1' })).toMatch(
      /COUNT must not be less than 1[^]*LISTEN_PORT/,
    );
    expect(problems({ ...secret, COUNT: '2.5' })).toContain('COUNT must be an integer number');
  });
});
