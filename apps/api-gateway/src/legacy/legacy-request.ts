import { DomainError } from '@app/common';

/** A JSON body of the legacy API: a flat object; anything else counts as empty. */
export type LegacyBody = Record<string, unknown>;

export function legacyBody(body: unknown): LegacyBody {
  return typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as LegacyBody) : {};
}

export function text(body: LegacyBody, field: string): string {
  const value = body[field];
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : '';
}

/** Runs `action`; a domain error whose code is in `answers` becomes that answer instead. */
export async function answerErrors<T, A>(action: () => Promise<T>, answers: Record<string, A>): Promise<T | A> {
  try {
    return await action();
  } catch (error) {
    if (error instanceof DomainError && error.code in answers) return answers[error.code];
    throw error;
  }
}
