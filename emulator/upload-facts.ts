/**
 * Each upload's real Initiated and StorageClass, as S3 reports them in ListMultipartUploads and ListParts. moto_server
 * answers every upload as StorageClass STANDARD, Initiated 2010-11-10T20:48:33.000Z (hard-coded in moto's
 * s3/responses.py), so locally every upload looked 16 years old and standard. The proxy in front of moto sees every
 * CreateMultipartUpload: it records the time and the x-amz-storage-class header (default STANDARD: S3 API Reference,
 * CreateMultipartUpload, "x-amz-storage-class … By default, Amazon S3 uses the STANDARD Storage Class") and writes them
 * into the listings. Uploads created straight on moto_server (not through a proxy) keep moto's values.
 */
import { xmlText } from './list-uploads-paging.ts';

export interface UploadFact {
  /** ISO-8601, whole seconds as S3 writes it (its documented examples end in .000Z) */
  initiated: string;
  storageClass: string;
}

/** the multipart request a proxy must observe or rewrite, with its bucket and key (path-style URL) */
export type UploadRequest =
  | { kind: 'create'; bucket: string; key: string }
  | { kind: 'abort' | 'parts'; bucket: string; key: string; uploadId: string }
  | { kind: 'list'; bucket: string };

/** Which multipart request this is: POST ?uploads (create), DELETE ?uploadId (abort), GET ?uploadId (ListParts), GET ?uploads on a bucket (list). */
export function uploadRequest(method: string | undefined, url: URL): UploadRequest | undefined {
  const [bucket = '', ...rest] = url.pathname.split('/').slice(1);
  if (bucket === '') return undefined;
  let key: string;
  try {
    key = decodeURIComponent(rest.join('/'));
  } catch {
    return undefined;
  }
  const q = url.searchParams;
  const uploadId = q.get('uploadId');
  if (key === '') return method === 'GET' && q.has('uploads') && uploadId === null ? { kind: 'list', bucket } : undefined;
  if (method === 'POST' && q.has('uploads')) return { kind: 'create', bucket, key };
  if (uploadId === null) return undefined;
  if (method === 'DELETE') return { kind: 'abort', bucket, key, uploadId };
  if (method === 'GET' && !q.has('partNumber')) return { kind: 'parts', bucket, key, uploadId };
  return undefined;
}

const idOf = (bucket: string, key: string, uploadId: string) => `${bucket}\u0000${key}\u0000${uploadId}`;
const fieldOf = (xml: string, name: string) => {
  const match = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return match ? xmlText(match[1]) : undefined;
};
/** sets (or adds, before </Upload> or after <UploadId>…</UploadId>) one element's text */
function withElement(xml: string, name: string, value: string, addAfter: RegExp): string {
  const present = new RegExp(`<${name}>[^<]*</${name}>|<${name}/>`);
  if (present.test(xml)) return xml.replace(present, `<${name}>${value}</${name}>`);
  return xml.replace(addAfter, (m) => `${m}<${name}>${value}</${name}>`);
}

/** The facts of the uploads created through a proxy; one instance may be shared by every proxy in front of one moto. */
export class UploadFacts {
  private readonly facts = new Map<string, UploadFact>();

  private readonly now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  get size(): number {
    return this.facts.size;
  }

  get(bucket: string, key: string, uploadId: string): UploadFact | undefined {
    return this.facts.get(idOf(bucket, key, uploadId));
  }

  /** a CreateMultipartUpload answered 200: its document names the upload id; the class is the request's header */
  created(bucket: string, key: string, storageClassHeader: string | undefined, answer: string): void {
    const uploadId = fieldOf(answer, 'UploadId');
    if (uploadId === undefined) return;
    const initiated = new Date(Math.floor(this.now().getTime() / 1000) * 1000).toISOString();
    this.facts.set(idOf(bucket, key, uploadId), { initiated, storageClass: storageClassHeader || 'STANDARD' });
  }

  /** an AbortMultipartUpload answered 204: the upload is gone */
  aborted(bucket: string, key: string, uploadId: string): void {
    this.facts.delete(idOf(bucket, key, uploadId));
  }

  /** a ListMultipartUploadsResult with each known upload's Initiated and StorageClass */
  listing(bucket: string, xml: string): string {
    if (this.facts.size === 0) return xml;
    return xml.replace(/<Upload>[\s\S]*?<\/Upload>/g, (upload) => {
      const fact = this.get(bucket, fieldOf(upload, 'Key') ?? '', fieldOf(upload, 'UploadId') ?? '');
      if (!fact) return upload;
      const afterId = /<UploadId>[^<]*<\/UploadId>/;
      return withElement(withElement(upload, 'Initiated', fact.initiated, afterId), 'StorageClass', fact.storageClass, afterId);
    });
  }

  /** a ListPartsResult with the upload's StorageClass (S3 API Reference, ListParts: "StorageClass: The class of storage used to store the uploaded object") */
  parts(bucket: string, key: string, uploadId: string, xml: string): string {
    const fact = this.get(bucket, key, uploadId);
    if (!fact || !xml.includes('<ListParts')) return xml; // moto's root is ListPartsResponse, S3's ListPartsResult
    return withElement(xml, 'StorageClass', fact.storageClass, /<UploadId>[^<]*<\/UploadId>/);
  }
}
