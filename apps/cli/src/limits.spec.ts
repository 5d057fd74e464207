import * as protocol from '@app/device-protocol';
import { DEVICE_NAME_PATTERN as GATEWAY_DEVICE_NAME_PATTERN } from '../../api-gateway/src/devices/domain/device';
import { DEVICE_NAME_PATTERN, MAX_GPIO_NUMBER, MAX_RTC_SECONDS, MAX_UART_DATA_LENGTH } from './limits';

// The CLI copies these so it can ship alone; this fails if the platform changes them.
describe('limits mirror the platform', () => {
  it('matches libs/device-protocol', () => {
    expect(MAX_GPIO_NUMBER).toBe(protocol.MAX_GPIO_NUMBER);
    expect(MAX_RTC_SECONDS).toBe(protocol.MAX_RTC_SECONDS);
    expect(MAX_UART_DATA_LENGTH).toBe(protocol.MAX_UART_DATA_LENGTH);
  });

  it("matches the gateway's device name pattern", () => {
    expect(DEVICE_NAME_PATTERN.source).toBe(GATEWAY_DEVICE_NAME_PATTERN.source);
    expect(DEVICE_NAME_PATTERN.flags).toBe(GATEWAY_DEVICE_NAME_PATTERN.flags);
  });
});
