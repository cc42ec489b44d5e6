/**
 * A fresh idempotency key: 128 random bits, hex. getRandomValues rather than randomUUID because browsers only
 * offer randomUUID in secure contexts, and the demo page may be opened over plain http on a LAN address.
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return `tap-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
