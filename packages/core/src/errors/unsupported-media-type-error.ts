import { LikePipeError } from './likepipe-error.js';

/** The body is in a media type or content encoding the API does not read (it reads JSON, identity/gzip/deflate/br). */
export class UnsupportedMediaTypeError extends LikePipeError {
  readonly code = 'unsupported_media_type';
}
