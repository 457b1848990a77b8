/** An error with an HTTP status and a JSON body; the error middleware turns it into the response. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly body: Record<string, unknown>;
  constructor(statusCode: number, error: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.statusCode = statusCode;
    this.body = { error, message, ...extra };
  }
}

/** 400 naming the field and the rule it broke */
export const badRequest = (field: string, rule: string) => new HttpError(400, 'ValidationError', `${field}: ${rule}`, { field, rule });
export const notFound = (message: string) => new HttpError(404, 'NotFound', message);
