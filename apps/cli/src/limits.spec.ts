import { DEVICE_NAME_PATTERN as GATEWAY_DEVICE_NAME_PATTERN } from '../../api-gateway/src/devices/domain/device';
import { DEVICE_NAME_PATTERN } from './limits';

// The CLI copies the registry's name rule (it does not load the gateway); this fails if the gateway changes it.
describe('limits mirror the platform', () => {
  it("matches the gateway's device name pattern", () => {
    expect(DEVICE_NAME_PATTERN.source).toBe(GATEWAY_DEVICE_NAME_PATTERN.source);
    expect(DEVICE_NAME_PATTERN.flags).toBe(GATEWAY_DEVICE_NAME_PATTERN.flags);
  });
});
