"""The boto3 peer of the bench's scan row: what a careful user would script to size incomplete uploads.

Lists every incomplete upload of a bucket (ListMultipartUploads, every page), then with 16 threads, per upload:
ListParts (every page) to sum its parts and bytes. Prints one JSON line: uploads, parts, bytes, cpuSeconds.
Usage: python3 boto3_scan.py ENDPOINT BUCKET [THREADS]
"""
import json
import resource
from concurrent.futures import ThreadPoolExecutor


from bench_client import from_argv, list_uploads

s3, bucket, threads = from_argv()
uploads = list_uploads(s3, bucket)


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
