/** A Lambda's configuration from its environment, read once at cold start: a missing variable fails loudly. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}
