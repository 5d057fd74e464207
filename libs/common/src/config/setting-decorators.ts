import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, IsNotEmpty, IsString, Matches, Max, Min, MinLength } from 'class-validator';

/**
 * One decorator per kind of setting, validated at start-up: the one statement of what a
 * setting of that kind accepts, for every config class. A message names the variable.
 */

/** A whole number within `min`..`max`. */
export function IsIntSetting(min: number, max: number): PropertyDecorator {
  return all(IsInt(), Min(min), Max(max));
}

/**
 * A TCP port setting: 1-65535; with `zeroDisables`, 0 too, for a listener that 0 turns off
 * (the metrics and broker-auth listeners).
 */
export function IsPortSetting(options: { zeroDisables?: boolean } = {}): PropertyDecorator {
  return IsIntSetting(options.zeroDisables ? 0 : 1, 65535);
}

/** A non-empty text (a user name, a folder). */
export function IsTextSetting(): PropertyDecorator {
  return all(IsString(), IsNotEmpty());
}

/** A host name or address setting (where to listen, or which host to reach). */
export function IsHostSetting(): PropertyDecorator {
  return IsTextSetting();
}

/** A text of one form (a URI scheme, a size); `message` says which form, else the pattern is named. */
export function IsPatternSetting(pattern: RegExp, message?: string): PropertyDecorator {
  return all(IsString(), Matches(pattern, message === undefined ? undefined : { message }));
}

/** A secret `npm run setup` generates: at least `minLength` characters. */
export function IsSecretSetting(minLength: number): PropertyDecorator {
  return all(
    IsString(),
    MinLength(minLength, {
      message: '$property must be at least $constraint1 characters (run `npm run setup` to generate one)',
    }),
  );
}

/**
 * A switch: true|1|yes or false|0|no (any case); unset or empty is `fallback`. Read from the
 * raw env text, as implicit conversion alone would turn "false" into true; anything else is
 * left as it is, so the validation names the variable.
 */
export function IsBooleanSetting(fallback: boolean): PropertyDecorator {
  const fromEnv = Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => {
    const value = obj[key];
    if (value === undefined || value === '') return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value !== 'string' && typeof value !== 'number') return value;
    if (/^(true|1|yes)$/i.test(String(value))) return true;
    if (/^(false|0|no)$/i.test(String(value))) return false;
    return value;
  });
  return all(fromEnv, IsBoolean());
}

function all(...rules: PropertyDecorator[]): PropertyDecorator {
  return (target, key) => {
    for (const rule of rules) rule(target, key);
  };
}
