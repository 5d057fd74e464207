import { exitIfShutdownStalls } from './shutdown-deadline';

describe('exitIfShutdownStalls', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('exits with 1 when the process is still alive the deadline after the signal', () => {
    const exit = jest.fn();
    exitIfShutdownStalls(5000, ['SIGUSR2'], exit);
    process.emit('SIGUSR2', 'SIGUSR2');
    jest.advanceTimersByTime(4999);
    expect(exit).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('does nothing before a signal', () => {
    const exit = jest.fn();
    exitIfShutdownStalls(10, ['SIGUSR2'], exit);
    jest.advanceTimersByTime(1000);
    expect(exit).not.toHaveBeenCalled();
    process.removeAllListeners('SIGUSR2');
  });
});
