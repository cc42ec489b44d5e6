import { InvalidRequestError } from './errors/index.js';

/** Post and user ids (DESIGN.md): also safe inside Redis key names and Kafka keys without escaping. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export function isValidId(value: unknown): value is string {
  return typeof value === 'string' && ID_PATTERN.test(value);
}

/** Returns the id or throws an InvalidRequestError naming where the bad id was found. */
export function requireId(value: unknown, where: string): string {
  if (!isValidId(value)) {
    throw new InvalidRequestError('must match ^[A-Za-z0-9_-]{1,64}$', where);
  }
  return value;
}

/** Idempotency keys are opaque to us; bound them so they cannot bloat Redis or logs. */
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export function requireIdempotencyKey(value: string, where: string): string {
  // The IETF draft sends the key as an sf-string: "abc". Accept both quoted and bare forms.
  const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  if (!IDEMPOTENCY_KEY_PATTERN.test(unquoted)) {
    throw new InvalidRequestError('must be 1-255 visible ASCII characters', where);
  }
  return unquoted;
}
