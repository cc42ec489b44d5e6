#!/usr/bin/env node
import { isValidId } from '@likepipe/core';
import { createSigner } from 'fast-jwt';

/**
 * Mints an HS256 bearer token for local use: `npm run token -- <userId> [ttlSeconds]`.
 * Reads the secret from LIKEPIPE_JWT_SECRET (scripts/run-node.sh loads .likepipe/local.env).
 */
const [userId, ttl = '3600'] = process.argv.slice(2);
const secret = process.env.LIKEPIPE_JWT_SECRET;
if (!userId || !isValidId(userId)) {
  process.stderr.write('usage: token <userId matching ^[A-Za-z0-9_-]{1,64}$> [ttlSeconds]\n');
  process.exit(2);
}
if (!/^\d{1,7}$/.test(ttl) || Number(ttl) < 1) {
  process.stderr.write(`ttlSeconds must be a positive whole number of seconds, got "${ttl}"\n`);
  process.exit(2);
}
if (!secret) {
  process.stderr.write('LIKEPIPE_JWT_SECRET is not set (run `npm run up` first, which writes .likepipe/local.env)\n');
  process.exit(2);
}
const sign = createSigner({ key: secret, algorithm: 'HS256', sub: userId, expiresIn: Number(ttl) * 1000 });
process.stdout.write(sign({}) + '\n');
