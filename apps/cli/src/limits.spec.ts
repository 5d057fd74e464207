import { DEVICE_NAME_PATTERN as GATEWAY_DEVICE_NAME_PATTERN } from '../../api-gateway/src/devices/domain/device';
import { MAX_JOB_DEVICES as GATEWAY_MAX_JOB_DEVICES } from '../../api-gateway/src/jobs/domain/job';
import { DEVICE_NAME_PATTERN, MAX_JOB_DEVICES } from './limits';

// The CLI copies the registry's name rule (it does not load the gateway); this fails if the gateway changes it.
describe('limits mirror the platform', () => {
  it("matches the gateway's device name pattern", () => {
    expect(DEVICE_NAME_PATTERN.source).toBe(GATEWAY_DEVICE_NAME_PATTERN.source);
    expect(DEVICE_NAME_PATTERN.flags).toBe(GATEWAY_DEVICE_NAME_PATTERN.flags);
  });

  it("matches the gateway's largest job", () => {
    expect(MAX_JOB_DEVICES).toBe(GATEWAY_MAX_JOB_DEVICES);
  });
});
