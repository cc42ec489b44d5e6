import { readFileSync } from 'node:fs';
import { SignJWT } from 'jose';

/** The benchmark stack's env file (written by scripts/up.sh; scripts/bench.sh points LIKEPIPE_ENV_FILE at it). */
export const env: Record<string, string> = Object.fromEntries(
  readFileSync(process.env.LIKEPIPE_ENV_FILE!, 'utf8')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1]!, m[2]!]),
);

const key = new TextEncoder().encode(env.LIKEPIPE_JWT_SECRET!);

/** A bearer token for `userId`, signed with the stack's key, valid two hours. */
export const signToken = (userId: string): Promise<string> =>
  new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject(userId).setExpirationTime('2h').sign(key);
