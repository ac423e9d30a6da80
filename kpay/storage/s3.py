"""The S3-compatible storage backend (AWS S3, MinIO, Ceph, Aliyun OSS...) through boto3.

Uploads are multipart above 8 MiB (boto3's transfer manager streams the file); media are
handed to browsers as presigned URLs that expire.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from kpay.storage import StoredFile
from kpay.storage.local import check_key


class S3Storage:
    """Files in ``bucket`` under ``prefix``."""

    name = "s3"

    def __init__(self, settings: dict):
        self.bucket = settings["s3_bucket"]
        self.prefix = settings["s3_prefix"].strip("/") + "/" if settings["s3_prefix"].strip("/") else ""
        self.client = boto3.client(
            "s3",
            endpoint_url=settings["s3_endpoint_url"] or None,
            region_name=settings["s3_region"] or None,
            aws_access_key_id=settings["s3_access_key_id"] or None,
            aws_secret_access_key=settings["s3_secret_access_key"] or None,
            config=Config(signature_version="s3v4", retries={"max_attempts": 3, "mode": "standard"}),
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def save(self, key: str, file: BinaryIO) -> None:
        self.client.upload_fileobj(file, self.bucket, self._key(key))

    def move_in(self, key: str, path: Path) -> None:
        self.client.upload_file(str(path), self.bucket, self._key(key))  # multipart, in parallel parts
        path.unlink()

    def open(self, key: str) -> BinaryIO:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"]
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                raise FileNotFoundError(key) from None
            raise

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def stat(self, key: str) -> StoredFile | None:
        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as error:
            if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
                return None
            raise
        return StoredFile(key, head["ContentLength"], head["LastModified"])

    def list(self, prefix: str) -> Iterator[StoredFile]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + check_key(prefix.rstrip("/")) + "/")
        for page in pages:
            for item in page.get("Contents", ()):
                yield StoredFile(item["Key"][len(self.prefix):], item["Size"], item["LastModified"])

    def local_path(self, key: str) -> Path | None:
        return None

    def url(self, key: str, seconds: int, media_type: str, download_name: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": self._key(key), "ResponseContentType": media_type}
        if download_name is not None:
            params["ResponseContentDisposition"] = f"attachment; filename*=UTF-8''{quote(download_name)}"
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
