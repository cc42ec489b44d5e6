import { isValidId, UnauthorizedError } from '@likepipe/core';
import type { NextFunction, Request, Response } from 'express';
import { errors as joseErrors, jwtVerify } from 'jose';

declare module 'express-serve-static-core' {
  interface Request {
    userId?: string;
  }
}

/**
 * Bearer JWT, HS256 only: `alg: none`, other algorithms, bad signatures and expired tokens are all 401. The
 * algorithm allow-list is what stops algorithm-confusion attacks, so it is explicit here rather than inferred.
 */
export function bearerAuth(secret: string) {
  const key = new TextEncoder().encode(secret);
  return async (req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const header = req.headers.authorization;
    const match = header ? /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header) : null;
    if (!match) return next(new UnauthorizedError('expected an Authorization: Bearer <JWT> header'));
    try {
      const { payload } = await jwtVerify(match[1]!, key, { algorithms: ['HS256'], clockTolerance: 5 });
      if (!isValidId(payload.sub)) return next(new UnauthorizedError('the token subject (sub) is not a valid user id'));
      req.userId = payload.sub;
      next();
    } catch (err) {
      next(new UnauthorizedError(describeJwtError(err)));
    }
  };
}

function describeJwtError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'the token has expired';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'the token must be signed with HS256';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `the token claim ${err.claim} is invalid`;
  return 'the token is malformed';
}
