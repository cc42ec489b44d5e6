// k6 has a console global (its log goes to k6's logger) but @types/k6 does not declare it, and the DOM library
// that does would let browser-only globals through the type check.
declare const console: {
  log(...data: unknown[]): void;
  warn(...data: unknown[]): void;
  error(...data: unknown[]): void;
};
