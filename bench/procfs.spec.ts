import { listeningInodes, parseProcStatTicks, parseProcStatus, usageMetrics } from './procfs';

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in kB', () => {
    const text = 'Name:\tnode\nVmPeak:\t 1000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssKb: 102400, hwmKb: 204800 });
  });

  it('gives NaN for missing fields (kernel threads)', () => {
    expect(parseProcStatus('Name:\tkthreadd\n').rssKb).toBeNaN();
  });
});

describe('parseProcStatTicks', () => {
  it('adds utime and stime, even with spaces and parentheses in the command name', () => {
    const fields = [
      'S',
      '1',
      '2',
      '3',
      '0',
      '-1',
      '4194560',
      '100',
      '0',
      '0',
      '0',
      '250',
      '50',
      '0',
      '0',
      '20',
      '0',
      '11',
    ];
    expect(parseProcStatTicks(`1234 (node) ${fields.join(' ')}`)).toBe(300);
    expect(parseProcStatTicks(`1234 (my (odd) name) ${fields.join(' ')}`)).toBe(300);
  });
});

describe('listeningInodes', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
  it('finds sockets listening on the port (IPv4 and IPv6), not connections', () => {
    const tcp = [
      header,
      '   0: 0100007F:20FD 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:20FD 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 222 1 0000000000000000 20 4 30 10 -1',
      '   2: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 333 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    const tcp6 = [
      header,
      '   0: 00000000000000000000000000000000:20FD 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 444 1',
    ].join('\n');
    expect([...listeningInodes(8445, [tcp, tcp6])].sort()).toEqual(['111', '444']);
    expect([...listeningInodes(8080, [tcp])]).toEqual(['333']);
    expect(listeningInodes(1, [tcp]).size).toBe(0);
  });
});

describe('usageMetrics', () => {
  it('names memory and CPU metrics and adds the platform total', () => {
    const metrics = usageMetrics(
      {
        gateway: { peakRssMb: 100, cpuPercent: 50, cpuSeconds: 1 },
        deviceCommand: { peakRssMb: 80, cpuPercent: 10, cpuSeconds: 1 },
        broker: { peakRssMb: 300, cpuPercent: 40, cpuSeconds: 1 },
        simulator: { peakRssMb: 20, cpuPercent: 5, cpuSeconds: 1 },
      },
      true,
    );
    expect(metrics).toMatchObject({
      'rss.gatewayMB': 100,
      'rss.platformMB': 480,
      'rss.withSimulatorMB': 500,
      'cpu.brokerPct': 40,
    });
    expect(usageMetrics({ gateway: { peakRssMb: 1, cpuPercent: 1, cpuSeconds: 1 } }, false)).toEqual({
      'rss.gatewayMB': 1,
    });
  });
});
