import { BadRequestException, ValidationError, ValidationPipe } from '@nestjs/common';

/** One bad input field and what is wrong with it (each problem names the field). */
export interface InvalidField {
  field: string;
  problems: string[];
}

/** The 400 VALIDATION_FAILED every HTTP edge answers for bad input, naming every bad field. */
export function validationFailed(fields: InvalidField[]): BadRequestException {
  return new BadRequestException({
    code: 'VALIDATION_FAILED',
    message: fields.map((f) => f.problems.join(', ')).join('; '),
    fields: fields.map((f) => f.field),
  });
}

function flatten(errors: ValidationError[], prefix = ''): InvalidField[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/**
 * The global validation pipe: strips unknown properties' effects (rejects them),
 * converts types, and answers 400 VALIDATION_FAILED naming every bad field.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => validationFailed(flatten(errors)),
  });
}
