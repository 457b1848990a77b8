/**
 * ListMultipartUploads as S3 answers it, over moto_server's answer. moto_server 5.x ignores max-uploads, key-marker and
 * upload-id-marker: it answers every upload of the bucket in one response, unsorted, never truncated. S3 answers at most
 * max-uploads uploads (1 to 1,000; default and cap 1,000), sorted by key, after the markers, with IsTruncated and the
 * next markers (S3 API Reference, ListMultipartUploads). moto's answer is kinder than S3's: a client that ignores
 * IsTruncated lists everything locally and misses uploads on AWS; and every call parses the whole bucket's listing
 * (10 MB of XML at 20,000 uploads). The endpoint cuts moto's answer to the page S3 would send.
 *
 * Left as moto answers it: a request with a delimiter (common prefixes: not used by this project) and any answer that
 * is not a 200 ListMultipartUploadsResult. Keys and markers are written as moto writes keys (moto ignores encoding-type).
 */
import { afterMarkers, uploadOrder } from 's3-mpu-reaper/lib/upload-order.ts';

/** S3's cap of max-uploads, and its default */
export const MAX_UPLOADS = 1000;

/** the request is a ListMultipartUploads this layer pages: GET ?uploads of a bucket, no upload id, no delimiter */
export function pagesListing(method: string | undefined, url: URL): boolean {
  const q = url.searchParams;
  return method === 'GET' && q.has('uploads') && !q.has('uploadId') && !q.has('delimiter');
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** an XML element's text unescaped */
export const xmlText = (escaped: string) =>
  escaped.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number.parseInt(name.slice(1), 10));
    return ENTITIES[name] ?? whole;
  });
/** text as an XML element's content or attribute value (also the Chaos API's S3 error documents) */
export const xmlEscape = (text: string) => text.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);
const element = (name: string, value: string) => (value === '' ? `<${name}/>` : `<${name}>${xmlEscape(value)}</${name}>`);
const field = (xml: string, name: string) => {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? xmlText(match[1]) : undefined;
};

/** S3's max-uploads from the query string: an integer ≥ 0, capped at 1,000; undefined when it is not one (moto's answer stands) */
function maxUploads(q: URLSearchParams): number | undefined {
  const raw = q.get('max-uploads');
  if (raw === null) return MAX_UPLOADS;
  if (!/^\d+$/.test(raw)) return undefined;
  return Math.min(Number(raw), MAX_UPLOADS);
}

/**
 * The header that asks the stack's moto_server (emulator/python/sitecustomize.py) for no more than the first n uploads
 * after the markers, in S3's order: n = max-uploads + 1, enough for pageListing to cut the same page and to know whether
 * more remain, without moto serializing the whole bucket for every page. moto without it answers every upload.
 */
export const LISTING_PAGE_HEADER = 'x-local-stack-listing-page';

/** the value of LISTING_PAGE_HEADER for a request pageListing will page; undefined for any other */
export function listingPageHint(method: string | undefined, url: URL): string | undefined {
  if (!pagesListing(method, url)) return undefined;
  const max = maxUploads(url.searchParams);
  return max === undefined ? undefined : String(max + 1);
}

/**
 * moto's ListMultipartUploadsResult cut to S3's page for this request's query string; undefined when the answer is not
 * one to page (not that document, or a max-uploads S3 would refuse: moto's answer is passed on).
 */
export function pageListing(xml: string, url: URL): string | undefined {
  const q = url.searchParams;
  const max = maxUploads(q);
  const root = xml.indexOf('<ListMultipartUploadsResult');
  const end = xml.lastIndexOf('</ListMultipartUploadsResult>');
  if (max === undefined || root < 0 || end < 0) return undefined;
  const first = xml.indexOf('<Upload>', root);
  const body = first < 0 ? '' : xml.slice(first, xml.lastIndexOf('</Upload>') + '</Upload>'.length);
  const uploads: Array<{ Key: string; UploadId: string; xml: string }> = [];
  for (let at = 0; at < body.length; ) {
    const close = body.indexOf('</Upload>', at) + '</Upload>'.length;
    const one = body.slice(at, close);
    uploads.push({ Key: field(one, 'Key') ?? '', UploadId: field(one, 'UploadId') ?? '', xml: one });
    at = close;
  }
  const [keyMarker, uploadIdMarker] = [q.get('key-marker') ?? '', q.get('upload-id-marker') ?? ''];
  const listed = uploads.filter(afterMarkers({ keyMarker, uploadIdMarker })).sort(uploadOrder);
  const page = listed.slice(0, max);
  const truncated = listed.length > page.length;
  const last = page.at(-1);
  const head = xml.slice(0, xml.indexOf('>', root) + 1);
  const [prefix, bucket] = [q.get('prefix'), field(xml, 'Bucket')];
  return [
    head,
    bucket === undefined ? '' : element('Bucket', bucket),
    element('KeyMarker', keyMarker),
    element('UploadIdMarker', keyMarker === '' ? '' : uploadIdMarker),
    truncated && last ? element('NextKeyMarker', last.Key) + element('NextUploadIdMarker', last.UploadId) : '',
    prefix === null ? '' : element('Prefix', prefix),
    element('MaxUploads', String(max)),
    element('IsTruncated', String(truncated)),
    ...page.map((u) => u.xml),
    xml.slice(end),
  ].join('');
}
