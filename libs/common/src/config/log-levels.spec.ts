import { logLevels } from './log-levels';

describe('logLevels', () => {
  it('includes the chosen level and everything more severe', () => {
    expect(logLevels('warn')).toEqual(['fatal', 'error', 'warn']);
    expect(logLevels(undefined)).toEqual(['fatal', 'error', 'warn', 'log']);
    expect(logLevels('DEBUG')).toContain('debug');
  });

  it('rejects an unknown level with a message naming the variable', () => {
    expect(() => logLevels('loud')).toThrow(/LOG_LEVEL/);
  });
});
