import { abortRuleFires, outcomeOfError } from './job';

describe('job rules', () => {
  it('fires the abort rule only past the failure share, once there are enough outcomes', () => {
    const rule = { failedPercent: 50, minOutcomes: 4 };
    expect(abortRuleFires(rule, { ok: 0, timeout: 3 })).toBe(false); // 3 < minOutcomes
    expect(abortRuleFires(rule, { ok: 2, timeout: 2 })).toBe(false); // exactly 50 %
    expect(abortRuleFires(rule, { ok: 1, offline: 2, unknown: 1 })).toBe(true); // 75 %
    expect(abortRuleFires(undefined, { timeout: 100 })).toBe(false);
  });

  it('maps device errors to outcomes; a lost RPC is unknown, never retried', () => {
    expect(outcomeOfError('DEVICE_TIMEOUT')).toBe('timeout');
    expect(outcomeOfError('DEVICE_OFFLINE')).toBe('offline');
    expect(outcomeOfError('DEVICE_BUSY')).toBe('busy');
    expect(outcomeOfError('DEVICE_NOT_FOUND')).toBe('not_found');
    expect(outcomeOfError('DEVICE_COMMAND_UNAVAILABLE')).toBe('unknown');
    expect(outcomeOfError('DEVICE_BAD_REPLY')).toBe('error');
  });
});
