// The one error base class: every error we throw on purpose carries a stable `code` (undici style).
export class ImdsLabError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
