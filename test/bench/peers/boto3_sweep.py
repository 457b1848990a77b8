"""The boto3 peer of `npm run bench`: what a careful user would script.

Lists every incomplete upload of a bucket (ListMultipartUploads, every page), then with 16 threads, per upload:
ListParts (what it held), AbortMultipartUpload, ListParts again (NoSuchUpload = gone: verified once).
Prints one JSON line: listed, aborted, verified (gone at the check), left (parts still listed), cpuSeconds.
Usage: python3 boto3_sweep.py ENDPOINT BUCKET [THREADS]
"""
import json
import resource
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, bucket = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 16
s3 = boto3.client(
    "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
    config=Config(max_pool_connections=threads, s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
)

uploads = []
for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
    uploads += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]


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
