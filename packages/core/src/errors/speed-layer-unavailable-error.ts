import { LikePipeError } from './likepipe-error.js';

/** Raised by a SpeedLayer adapter when Redis cannot answer (down, timing out, breaker open). */
export class SpeedLayerUnavailableError extends LikePipeError {
  readonly code = 'speed_layer_unavailable';
  override readonly retriable = true;
}
