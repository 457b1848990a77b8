"""The boto3 peer of the bench's scan row: what a careful user would script to size incomplete uploads.

Lists every incomplete upload of a bucket (ListMultipartUploads, every page), then with 16 threads, per upload:
ListParts (every page) to sum its parts and bytes. Prints one JSON line: uploads, parts, bytes, cpuSeconds.
Usage: python3 boto3_scan.py ENDPOINT BUCKET [THREADS]
"""
import json
import resource
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

endpoint, bucket = sys.argv[1], sys.argv[2]
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 16
s3 = boto3.client(
    "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
    config=Config(max_pool_connections=threads, s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
)

uploads = []
for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
    uploads += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]


def measure(upload):
    key, upload_id = upload
    parts = 0
    size = 0
    for page in s3.get_paginator("list_parts").paginate(Bucket=bucket, Key=key, UploadId=upload_id):
        for part in page.get("Parts", []):
            parts += 1
            size += part["Size"]
    return parts, size


with ThreadPoolExecutor(max_workers=threads) as pool:
    results = list(pool.map(measure, uploads))
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "uploads": len(uploads), "parts": sum(p for p, _ in results), "bytes": sum(b for _, b in results),
    "cpuSeconds": usage.ru_utime + usage.ru_stime,
}))
