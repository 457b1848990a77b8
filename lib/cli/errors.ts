/**
 * A failed command's error as one line that says what to do: nothing listening at the endpoint, no credentials for
 * the profile. With --json the same line goes to stdout as the JSON error document the HTTP API answers with.
 */
import { CliFailure, UsageError } from './io.ts';

type NodeError = Error & { code?: string; errors?: NodeError[] };

/** the errno of a failed connection: Node puts it on the error, or on each attempt of an AggregateError (IPv4 and IPv6) */
function connectionCode(error: NodeError): string | undefined {
  const codes = [error, ...(error.errors ?? []), ...((error.cause as NodeError | undefined) ? [error.cause as NodeError] : [])].map((e) => e?.code);
  return codes.find((code) => code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET');
}

const isCredentialsError = (error: Error) =>
  error.name === 'CredentialsProviderError' || /could not load credentials|profile .* could not be found|could not resolve credentials/i.test(error.message);

/** What went wrong and what to do about it, on one line. */
export function failureLine(error: unknown, env: NodeJS.ProcessEnv): string {
  const e = (error instanceof Error ? error : new Error(String(error))) as NodeError;
  if (e instanceof CliFailure || e instanceof UsageError) return e.message;
  const first = (text: string) => text.split('\n')[0].trim();
  const code = connectionCode(e);
  if (code) {
    const endpoint = env.AWS_ENDPOINT_URL;
    return endpoint
      ? `nothing answers at AWS_ENDPOINT_URL=${endpoint} (${code}): start the local stack with npm start (it prints its endpoint), or unset AWS_ENDPOINT_URL to use AWS`
      : `cannot reach AWS (${code}: ${first(e.message)}): check the network and AWS_REGION, or set AWS_ENDPOINT_URL to the endpoint npm start prints`;
  }
  if (isCredentialsError(e)) {
    const profile = env.AWS_PROFILE ?? 'default';
    return `no AWS credentials for the profile "${profile}"${env.AWS_PROFILE ? ' (AWS_PROFILE)' : ''}: ${first(e.message)}; run aws configure --profile ${profile} or aws sso login --profile ${profile}, or set AWS_PROFILE to a profile that has credentials`;
  }
  return `${e.name}: ${first(e.message)}`;
}

/** the JSON error document of a --json command: { error, message }, as the HTTP API answers */
export function jsonFailure(error: unknown, env: NodeJS.ProcessEnv): string {
  const name = error instanceof UsageError ? 'UsageError' : error instanceof CliFailure ? 'Failure' : ((error as Error)?.name ?? 'Error');
  return `${JSON.stringify({ error: name, message: failureLine(error, env) })}\n`;
}
