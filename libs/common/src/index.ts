/**
 * @app/common: what every app shares and no single feature owns: the domain
 * error base class and its mapping to HTTP, and typed config validation.
 */
export * from './errors/domain-error';
export * from './errors/http-status';
export * from './errors/http-exception.filter';
export * from './config/validate-config';
