/** The scheduled debt scan (the stage param debtScanSchedule): the allowlisted buckets' incomplete uploads as EMF metrics (lib/scan/debt.ts). */
import { parseAllowlist } from '../lib/allowlist.ts';
import { clientConfig, s3ClientsByRegion } from '../lib/aws.ts';
import { requiredEnv } from '../lib/env.ts';
import { lambdaHandler } from '../lib/handler.ts';
import { LISTING_SECONDS, maxListPartsFromEnv, scanDebt } from '../lib/scan/debt.ts';
import { SCAN_SDK_OPTIONS } from '../lib/scan/scan.ts';

const deps = () => {
  const config = clientConfig(process.env);
  return {
    s3For: s3ClientsByRegion({ ...config, ...SCAN_SDK_OPTIONS }),
    allowlist: parseAllowlist(requiredEnv('ALLOWED_BUCKETS')),
    region: String(config.region),
    maxListParts: maxListPartsFromEnv(),
    listingSeconds: LISTING_SECONDS,
  };
};

export const handler = lambdaHandler({ service: 'debt-scan', deps }, async (_event: unknown, { deps, logger, metrics }) => {
  const summary = await scanDebt(deps, metrics);
  if (Object.keys(summary.partial).length > 0) logger.warn('debt scan partial: these buckets publish lower bounds', { partial: summary.partial });
  if (Object.keys(summary.errors).length > 0) logger.warn('debt scan could not read these buckets', { errors: summary.errors });
  logger.info('debt scan done', { ...summary });
  return summary;
});
