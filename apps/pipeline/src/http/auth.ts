import { isValidId, UnauthorizedError } from '@likepipe/core';
import type { NextFunction, Request, Response } from 'express';
import { createVerifier, TokenError } from 'fast-jwt';

declare module 'express-serve-static-core' {
  interface Request {
    userId?: string;
  }
}

/**
 * Bearer JWT, HS256 only: `alg: none`, other algorithms, bad signatures and expired tokens are all 401. The
 * algorithm allow-list is what stops algorithm-confusion attacks, so it is explicit here rather than inferred.
 *
 * fast-jwt rather than jose: every like verifies a token, and jose's HMAC goes through WebCrypto, an async hop
 * to the thread pool that was the largest single cost of the like path in a CPU profile. fast-jwt verifies with
 * node:crypto synchronously and caches verified tokens (clients reuse a token for many taps) until they expire.
 */
export function bearerAuth(secret: string) {
  const verify = createVerifier({
    key: secret,
    algorithms: ['HS256'],
    // exp is checked when present but not required: DESIGN.md's contract asks for sub only.
    requiredClaims: ['sub'],
    clockTolerance: 5_000,
    cache: 10_000,
    cacheTTL: 600_000,
  });
  return (req: Request, _res: Response, next: NextFunction): void => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    if (!match) return next(new UnauthorizedError('expected an Authorization: Bearer <JWT> header'));
    let payload: { sub?: unknown };
    try {
      payload = verify(match[1]!) as { sub?: unknown };
    } catch (err) {
      return next(new UnauthorizedError(describeJwtError(err)));
    }
    if (!isValidId(payload.sub)) return next(new UnauthorizedError('the token subject (sub) is not a valid user id'));
    req.userId = payload.sub;
    next();
  };
}

function describeJwtError(err: unknown): string {
  if (!(err instanceof TokenError)) return 'the token could not be verified';
  switch (err.code) {
    case TokenError.codes.expired:
      return 'the token has expired';
    case TokenError.codes.invalidAlgorithm:
      return 'the token must be signed with HS256';
    case TokenError.codes.invalidSignature:
    case TokenError.codes.missingSignature:
      return 'the token signature is invalid';
    case TokenError.codes.inactive:
      return 'the token is not valid yet';
    case TokenError.codes.missingRequiredClaim:
      return 'the token must carry a sub claim';
    default:
      return 'the token is malformed';
  }
}
