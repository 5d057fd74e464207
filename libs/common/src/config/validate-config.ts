import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';

/** Thrown at start-up when the environment does not satisfy an app's config schema. */
export class ConfigValidationError extends Error {
  readonly code = 'CONFIG_INVALID';
}

/**
 * Builds a `validate` function for `ConfigModule.forRoot`: converts the raw
 * environment into the typed class, applies its defaults and fails fast with
 * every problem listed, naming the variable.
 */
export function validateConfigWith<T extends object>(schema: new () => T) {
  return (raw: Record<string, unknown>): T => {
    const config = plainToInstance(schema, raw, { enableImplicitConversion: true, exposeDefaultValues: true });
    const errors = validateSync(config, { skipMissingProperties: false, whitelist: false });
    if (errors.length > 0) {
      const lines = errors.map((e) => `  ${e.property}: ${Object.values(e.constraints ?? {}).join(', ')}`);
      throw new ConfigValidationError(
        `Invalid configuration (see .env.example; \`npm run setup\` creates a local .env):\n${lines.join('\n')}`,
      );
    }
    return config;
  };
}
