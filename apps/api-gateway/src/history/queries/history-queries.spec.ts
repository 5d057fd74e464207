import { Test } from '@nestjs/testing';
import { DEVICE_REPOSITORY, DeviceRepository } from '../../devices/database/device.repository.port';
import { DeviceRecord } from '../../devices/domain/device';
import { COMMAND_HISTORY_REPOSITORY, CommandHistoryRepository } from '../database/command-history.repository.port';
import { CommandRecord } from '../domain/command-record';
import { GetDeviceCommandHandler } from './get-device-command/get-device-command.handler';
import { GetDeviceCommandQuery } from './get-device-command/get-device-command.query';
import { ListDeviceCommandsHandler } from './list-device-commands/list-device-commands.handler';
import { ListDeviceCommandsQuery } from './list-device-commands/list-device-commands.query';

const record = (commandId: string): CommandRecord =>
  ({ commandId, deviceId: 'dev-1', deviceName: 'lamp', api: 'get_status' }) as CommandRecord;

describe('history queries (resolved through Nest, as the app wires them)', () => {
  const devices: Pick<DeviceRepository, 'findActiveByName'> = {
    findActiveByName: async (ownerId, name) =>
      ownerId === 'alice' && name === 'lamp' ? ({ deviceId: 'dev-1', name } as DeviceRecord) : null,
  };
  const history: Pick<CommandHistoryRepository, 'list' | 'find'> = {
    list: jest.fn(async (_deviceId: string, filter: { limit: number }) =>
      [record('c3'), record('c2'), record('c1')].slice(0, filter.limit),
    ),
    find: jest.fn(async (_deviceId: string, commandId: string) => (commandId === 'c2' ? record('c2') : null)),
  };
  let list: ListDeviceCommandsHandler;
  let get: GetDeviceCommandHandler;

  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [
        ListDeviceCommandsHandler,
        GetDeviceCommandHandler,
        { provide: DEVICE_REPOSITORY, useValue: devices },
        { provide: COMMAND_HISTORY_REPOSITORY, useValue: history },
      ],
    }).compile();
    list = moduleRef.get(ListDeviceCommandsHandler);
    get = moduleRef.get(GetDeviceCommandHandler);
  });

  it("reads the named device's history by its broker identity, with a cursor when the page is full", async () => {
    const page = await list.execute(new ListDeviceCommandsQuery('alice', 'lamp', { limit: 2 }));
    expect(page).toEqual({ items: [record('c3'), record('c2')], nextBefore: 'c2' });
    expect(history.list).toHaveBeenCalledWith('dev-1', { limit: 2 });
    expect((await list.execute(new ListDeviceCommandsQuery('alice', 'lamp', { limit: 5 }))).nextBefore).toBeNull();
    expect(await get.execute(new GetDeviceCommandQuery('alice', 'lamp', 'c2'))).toEqual(record('c2'));
    expect(history.find).toHaveBeenCalledWith('dev-1', 'c2');
  });

  it('answers DEVICE_NOT_FOUND for a device the caller does not own, and COMMAND_NOT_FOUND for an unknown command', async () => {
    await expect(list.execute(new ListDeviceCommandsQuery('bob', 'lamp', { limit: 2 }))).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
    await expect(get.execute(new GetDeviceCommandQuery('bob', 'lamp', 'c2'))).rejects.toMatchObject({
      code: 'DEVICE_NOT_FOUND',
    });
    await expect(get.execute(new GetDeviceCommandQuery('alice', 'lamp', 'c9'))).rejects.toMatchObject({
      code: 'COMMAND_NOT_FOUND',
    });
  });
});
