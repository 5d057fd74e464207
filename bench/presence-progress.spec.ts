import { parsePresenceConnected, presenceEnabled } from './presence-progress';

describe('presence progress', () => {
  it('reads the connected count from the metrics page, 0 before the first change', () => {
    const page = [
      '# TYPE iotcloud_presence_changes_total counter',
      'iotcloud_presence_changes_total{change="disconnected"} 3',
      'iotcloud_presence_changes_total{change="connected"} 1042',
    ].join('\n');
    expect(parsePresenceConnected(page)).toBe(1042);
    expect(parsePresenceConnected('# TYPE iotcloud_presence_changes_total counter\n')).toBe(0);
  });

  it('reads PRESENCE as the gateway does: on unless false, 0 or no', () => {
    expect(presenceEnabled(undefined)).toBe(true);
    expect(presenceEnabled('true')).toBe(true);
    expect(presenceEnabled('FALSE')).toBe(false);
    expect(presenceEnabled('0')).toBe(false);
  });
});
