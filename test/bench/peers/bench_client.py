"""The bench peers' command line and S3 client: ENDPOINT BUCKET [THREADS], path-style, standard retries."""
import sys

import boto3
from botocore.config import Config


def from_argv():
    """(s3 client, bucket, threads) from sys.argv: ENDPOINT BUCKET [THREADS], 16 threads by default"""
    endpoint, bucket = sys.argv[1], sys.argv[2]
    threads = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench",
        config=Config(max_pool_connections=threads, s3={"addressing_style": "path"}, retries={"max_attempts": 5, "mode": "standard"}),
    )
    return s3, bucket, threads


def list_uploads(s3, bucket):
    """every incomplete upload of the bucket as (key, upload id), every page of ListMultipartUploads"""
    uploads = []
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        uploads += [(u["Key"], u["UploadId"]) for u in page.get("Uploads", [])]
    return uploads
