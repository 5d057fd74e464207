import { IsInt, Max, Min } from 'class-validator';

/**
 * A TCP port setting, validated at start-up: 1-65535; with `zeroDisables`, 0 too,
 * for a listener that 0 turns off (the metrics and broker-auth listeners). The one
 * statement of what a port setting accepts, for every config class.
 */
export function IsPortSetting(options: { zeroDisables?: boolean } = {}): PropertyDecorator {
  const rules = [IsInt(), Min(options.zeroDisables ? 0 : 1), Max(65535)];
  return (target, key) => {
    for (const rule of rules) rule(target, key);
  };
}
