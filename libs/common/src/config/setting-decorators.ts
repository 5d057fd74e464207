import { IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';

/**
 * A TCP port setting, validated at start-up: 1-65535; with `zeroDisables`, 0 too,
 * for a listener that 0 turns off (the metrics and broker-auth listeners). The one
 * statement of what a port setting accepts, for every config class.
 */
export function IsPortSetting(options: { zeroDisables?: boolean } = {}): PropertyDecorator {
  return all(IsInt(), Min(options.zeroDisables ? 0 : 1), Max(65535));
}

/** A host name or address setting (where to listen, or which host to reach): a non-empty string. */
export function IsHostSetting(): PropertyDecorator {
  return all(IsString(), IsNotEmpty());
}

function all(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const rule of rules) rule(target, key);
  };
}
