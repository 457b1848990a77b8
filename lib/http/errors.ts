/** An error with an HTTP status and a JSON body; the error middleware turns it into the response. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
  /** response headers, e.g. Retry-After on a 503 */
  readonly headers: Record<string, string>;
  constructor(statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
    super(message);
    this.statusCode = statusCode;
    this.body = { error, message, ...extra };
    this.headers = headers;
  }
}

/** 400 naming the field and the rule it broke */
export const badRequest = (field: string, rule: string) => new HttpError(400, 'ValidationError', `${field}: ${rule}`, { field, rule });
export const notFound = (message: string) => new HttpError(404, 'NotFound', message);
