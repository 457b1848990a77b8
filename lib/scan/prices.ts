/**
 * What the parts of incomplete uploads cost a month: bytes × the list price per GB-month of the upload's storage class in
 * the bucket's region (lib/scan/prices.json: its source, date and the rules below).
 */
import PRICES from './prices.json' with { type: 'json' };

export const PRICE_SOURCE: { source: string; date: string } = { source: PRICES.source, date: PRICES.date };
/** AWS bills storage per GB of 2^30 bytes */
export const BYTES_PER_GB = 2 ** 30;
const FALLBACK = { region: 'us-east-1', storageClass: 'STANDARD' } as const;
const TABLE = PRICES.regions as Record<string, Record<string, number>>;

export interface Price {
  usdPerGbMonth: number;
  /** the class whose rate applies: the upload's own, STANDARD for archive parts, or the fallback's */
  billedAs: string;
  /** why this is not the listed price of the region and class (archive staging, unknown region or class) */
  note?: string;
}

/** The price of a GB-month of parts of an upload of this class in this region. */
export function priceOf(region: string, storageClass: string | undefined): Price {
  const cls = storageClass || 'STANDARD';
  const staged = PRICES.stagedAsStandard.includes(cls);
  const billedAs = staged ? 'STANDARD' : cls;
  const listed = TABLE[region]?.[billedAs];
  if (listed !== undefined)
    return { usdPerGbMonth: listed, billedAs, ...(staged ? { note: `${cls} parts are billed as STANDARD until the upload completes` } : {}) };
  const what = TABLE[region] ? `class ${billedAs} in ${region}` : `region ${region}`;
  return {
    usdPerGbMonth: TABLE[FALLBACK.region][FALLBACK.storageClass],
    billedAs: FALLBACK.storageClass,
    note: `no price for ${what}: priced as ${FALLBACK.region} ${FALLBACK.storageClass}`,
  };
}

/** dollars a month for these bytes at this price, rounded to a millionth of a dollar */
export function monthlyCostUsd(bytes: number, price: Pick<Price, 'usdPerGbMonth'>): number {
  return Math.round((bytes / BYTES_PER_GB) * price.usdPerGbMonth * 1e6) / 1e6;
}
