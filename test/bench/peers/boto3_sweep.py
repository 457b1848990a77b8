"""The boto3 peer of `npm run bench`: what a careful user would script.

Lists every incomplete upload of a bucket (ListMultipartUploads, every page), then with 16 threads, per upload:
ListParts (what it held), AbortMultipartUpload, ListParts again (NoSuchUpload = gone: verified once).
Prints one JSON line: listed, aborted, verified (gone at the check), left (parts still listed), cpuSeconds.
Usage: python3 boto3_sweep.py ENDPOINT BUCKET [THREADS]
"""
import json
import resource
from concurrent.futures import ThreadPoolExecutor

from botocore.exceptions import ClientError

from bench_client import from_argv, list_uploads

s3, bucket, threads = from_argv()
uploads = list_uploads(s3, bucket)


def sweep(upload):
    key, upload_id = upload
    s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)
    s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
    try:
        parts = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", [])
        return (True, len(parts) == 0)
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchUpload":
            return (True, True)
        raise


with ThreadPoolExecutor(max_workers=threads) as pool:
    results = list(pool.map(sweep, uploads))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "listed": len(uploads), "aborted": sum(1 for a, _ in results if a), "verified": sum(1 for _, v in results if v),
    "left": sum(1 for _, v in results if not v), "cpuSeconds": usage.ru_utime + usage.ru_stime,
}))
