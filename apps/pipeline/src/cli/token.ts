#!/usr/bin/env node
import { isValidId } from '@likepipe/core';
import { SignJWT } from 'jose';

/**
 * Mints an HS256 bearer token for local use and tests: `npm run token -- <userId> [ttlSeconds]`.
 * Reads the secret from LIKEPIPE_JWT_SECRET (scripts/run-node.sh loads .likepipe/local.env).
 */
const [userId, ttl = '3600'] = process.argv.slice(2);
const secret = process.env.LIKEPIPE_JWT_SECRET;
if (!userId || !isValidId(userId)) {
  process.stderr.write('usage: token <userId matching ^[A-Za-z0-9_-]{1,64}$> [ttlSeconds]\n');
  process.exit(2);
}
if (!secret) {
  process.stderr.write('LIKEPIPE_JWT_SECRET is not set (run `npm run up` first, which writes .likepipe/local.env)\n');
  process.exit(2);
}
const token = await new SignJWT({})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(userId)
  .setIssuedAt()
  .setExpirationTime(`${Number(ttl)}s`)
  .sign(new TextEncoder().encode(secret));
process.stdout.write(token + '\n');
