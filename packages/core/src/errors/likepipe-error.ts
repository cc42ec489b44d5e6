/**
 * The base of every error the pipeline reports on purpose lives in the contract, so the operator's and the
 * pipeline's errors share it: `code` is stable, `retriable` says whether the same request may succeed later.
 * How an error is answered over HTTP is the like-API's business (apps/pipeline/src/http/errors.ts), not the
 * domain's.
 */
export { LikePipeError } from '@likepipe/contract';
