import crypto from 'k6/crypto';
import encoding from 'k6/encoding';

/**
 * The like-API accepts HS256 JWTs whose `sub` is the user id (apps/pipeline/src/http/auth.ts). k6 has no JWT
 * library and remote jslib modules are off limits, so tokens are signed here with k6's own HMAC.
 */

const header = encoding.b64encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }), 'rawurl');

export function jwtSecret(env: Record<string, string | undefined>): string {
  const secret = env.LIKEPIPE_JWT_SECRET;
  if (!secret) throw new Error('LIKEPIPE_JWT_SECRET is not set: pass -e LIKEPIPE_JWT_SECRET=<the API’s secret>');
  return secret;
}

export function signToken(secret: string, userId: string): string {
  // sub only, as the API's contract asks: an iat or exp would make a skewed load-generator clock a source of 401s.
  const payload = encoding.b64encode(JSON.stringify({ sub: userId }), 'rawurl');
  const signingInput = `${header}.${payload}`;
  const mac = crypto.hmac('sha256', secret, signingInput, 'binary');
  return `${signingInput}.${encoding.b64encode(mac, 'rawurl')}`;
}

/**
 * Pool users act again and again: one signature per user per VU is enough. Bounded so a VU that meets many users
 * does not keep them all.
 */
export class TokenCache {
  private readonly tokens = new Map<string, string>();
  private readonly secret: string;
  private readonly max: number;

  // Plain fields, not constructor parameter properties: k6 strips types, it does not compile TypeScript-only syntax.
  constructor(secret: string, max = 10_000) {
    this.secret = secret;
    this.max = max;
  }

  get(userId: string): string {
    let token = this.tokens.get(userId);
    if (token === undefined) {
      token = signToken(this.secret, userId);
      if (this.tokens.size >= this.max) this.tokens.clear();
      this.tokens.set(userId, token);
    }
    return token;
  }
}
