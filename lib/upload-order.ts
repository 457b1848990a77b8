/**
 * The order of S3's ListMultipartUploads (S3 API Reference, ListMultipartUploads: uploads sorted by key; key-marker and
 * upload-id-marker: the listing goes on after that key, or after that upload of that key). Keys compare by their UTF-8
 * bytes (JavaScript's < compares UTF-16 code units: not the same beyond U+FFFF); uploads of one key by upload id.
 * One rule for the sweep's listing (lib/sweep/list.ts) and the local endpoint's paging of moto_server's answers.
 */
export interface ListedUpload {
  Key?: string;
  UploadId?: string;
}

export const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export const uploadOrder = (a: ListedUpload, b: ListedUpload) => utf8Order(a.Key!, b.Key!) || utf8Order(a.UploadId!, b.UploadId!);

/** the uploads a listing from these markers holds: every one when there is no key marker (the upload id marker alone is ignored) */
export function afterMarkers(marker: { keyMarker?: string; uploadIdMarker?: string }): (upload: ListedUpload) => boolean {
  const [key, uploadId] = [marker.keyMarker ?? '', marker.uploadIdMarker ?? ''];
  return (u) => key === '' || utf8Order(u.Key!, key) > 0 || (u.Key === key && uploadId !== '' && utf8Order(u.UploadId!, uploadId) > 0);
}
