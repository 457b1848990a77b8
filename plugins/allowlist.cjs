'use strict';

/**
 * Local Serverless (osls) plugin: the stage's bucket allowlist, written once as the param `allowedBuckets` (a YAML
 * list in params.<stage>, or `--param="allowedBuckets=my-logs,my-data-*"`), and every form the stack derives from
 * it, as the variable source `${allowlist:forms}` (serverless.yml holds it once, as custom.allowlist):
 *   csv         "my-logs,my-data-*"                    (the functions' ALLOWED_BUCKETS, read by lib/allowlist.ts)
 *   objectArns  [arn:${AWS::Partition}:s3:::my-logs/*, …] (object actions: AbortMultipartUpload, ListParts, …)
 *   bucketArns  [arn:${AWS::Partition}:s3:::my-logs, …]   (bucket actions: ListBucketMultipartUploads, …)
 *   matchers    [my-logs, { prefix: my-data- }]          (the deadline rule's EventBridge bucketName matchers)
 * A missing, empty or malformed allowlist stops the package (and so the deploy) with one line that names
 * allowedBuckets and shows an example.
 * `${allowlist:kmsKeys}`: the KMS keys the roles that call ListParts may decrypt with through S3, from the param
 * kmsKeyArns (a list or a comma-separated string of key ARNs; default "*", any key, still only through S3).
 */

const EXAMPLE = 'e.g. params.<stage>.allowedBuckets: [my-logs, "my-data-*"] or --param="allowedBuckets=my-logs,my-data-*"';
/** the rule lib/allowlist.ts applies at run time: a bucket name, a prefix ending in "*", or "*" alone */
const PATTERN = /^[a-z0-9][a-z0-9.-]*\*?$|^\*$/;

/** the allowlist's patterns from the param's value (a list, or the command line's comma-separated string) */
function parseAllowedBuckets(value, stage) {
  if (value === null || value === undefined || value === '') {
    throw new Error(`allowedBuckets is not set for stage "${stage}": name the buckets this stack may touch, ${EXAMPLE}`);
  }
  const items = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(items)) throw new Error(`allowedBuckets must be a list of bucket names or prefixes ending in "*", ${EXAMPLE}`);
  const patterns = items.map((item) => (typeof item === 'string' ? item.trim() : item)).filter((item) => item !== '');
  if (patterns.length === 0) throw new Error(`allowedBuckets is empty for stage "${stage}": name the buckets this stack may touch, ${EXAMPLE}`);
  for (const pattern of patterns) {
    if (typeof pattern !== 'string' || !PATTERN.test(pattern)) {
      throw new Error(`allowedBuckets: ${JSON.stringify(pattern)} is neither a bucket name nor a prefix ending in "*", ${EXAMPLE}`);
    }
  }
  return patterns;
}

/** an allowlist pattern as an EventBridge matcher: exact name → the name, "x-*" → { prefix: "x-" }, "*" → exists */
const matcherOf = (pattern) => (pattern === '*' ? { exists: true } : pattern.endsWith('*') ? { prefix: pattern.slice(0, -1) } : pattern);

/** every form of the allowlist the stack needs */
function allowlistForms(patterns) {
  return {
    csv: patterns.join(','),
    objectArns: patterns.map((pattern) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${pattern}/*` })),
    bucketArns: patterns.map((pattern) => ({ 'Fn::Sub': `arn:\${AWS::Partition}:s3:::${pattern}` })),
    matchers: patterns.map(matcherOf),
  };
}

const KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** kmsKeyArns: key ARNs (kms:Decrypt is authorised on the key, never on an alias), or absent for any key */
function parseKmsKeyArns(value) {
  if (value === null || value === undefined || value === '') return ['*'];
  const items = (typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : [value]).map((item) =>
    typeof item === 'string' ? item.trim() : item,
  );
  for (const item of items) {
    if (item !== '*' && (typeof item !== 'string' || !KEY_ARN.test(item))) {
      throw new Error(
        `kmsKeyArns: ${JSON.stringify(item)} is not a KMS key ARN, e.g. --param="kmsKeyArns=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`,
      );
    }
  }
  return items.includes('*') ? ['*'] : items;
}

class AllowlistPlugin {
  constructor(serverless) {
    this.serverless = serverless;
    this.configurationVariablesSources = {
      allowlist: {
        resolve: async ({ address, resolveVariable, options }) => {
          if (address === 'kmsKeys') {
            try {
              return { value: parseKmsKeyArns(await resolveVariable('param:kmsKeyArns, null')) };
            } catch (error) {
              throw new serverless.classes.Error(error.message, 'KMS_KEY_ARNS_INVALID');
            }
          }
          if (address !== 'forms') throw new serverless.classes.Error(`\${allowlist:${address}}: the addresses are "forms" and "kmsKeys"`);
          const stage = options.stage ?? (await resolveVariable('self:provider.stage'));
          const value = await resolveVariable('param:allowedBuckets, null');
          try {
            return { value: allowlistForms(parseAllowedBuckets(value, stage)) };
          } catch (error) {
            throw new serverless.classes.Error(error.message, 'ALLOWED_BUCKETS_INVALID');
          }
        },
      },
    };
  }
}

module.exports = AllowlistPlugin;
module.exports.parseAllowedBuckets = parseAllowedBuckets;
module.exports.allowlistForms = allowlistForms;
module.exports.matcherOf = matcherOf;
module.exports.parseKmsKeyArns = parseKmsKeyArns;
