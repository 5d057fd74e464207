import { surviveRepliesLostWithTheBroker } from './lost-replies';

describe('surviveRepliesLostWithTheBroker', () => {
  it('logs an answer lost with the broker connection, and still ends the process on any other rejection', () => {
    const before = process.listeners('unhandledRejection');
    const logger = { warn: jest.fn(), error: jest.fn() };
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    try {
      surviveRepliesLostWithTheBroker(logger as never);
      const handler = process.listeners('unhandledRejection').find((l) => !before.includes(l)) as (r: unknown) => void;
      handler(new Error('channel closed'));
      expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('lost with the broker connection'));
      expect(exit).not.toHaveBeenCalled();
      handler(new TypeError('a bug'));
      expect(logger.error).toHaveBeenCalled();
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      for (const l of process.listeners('unhandledRejection'))
        if (!before.includes(l)) process.off('unhandledRejection', l);
      exit.mockRestore();
    }
  });
});
