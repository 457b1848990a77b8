/** What an API function refused with (its HttpError's status, error name and message), or undefineds when it did not throw. */
import type { HttpError } from '../../lib/http/errors.ts';

export async function refusal(promise: Promise<unknown>): Promise<{ status?: number; error?: unknown; message?: string }> {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as HttpError | undefined;
  return { status: error?.statusCode, error: error?.body.error, message: error?.message };
}
