"""S3-compatible object storage through boto3: listing and ranged reads.

The cheap identity of an object is its ETag, size (and version id when the listing has one):
an unchanged object keeps them, so its cached result is reused without a request for its bytes.
Reads send ``If-Match: <ETag>``, so an object replaced between listing and reading fails that
read (reported, never cached) instead of being scanned under the old identity.
"""

from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any

from mlsvs.fleet.items import Item, ListingError, SourceKind
from mlsvs.fleet.rangeio import RemoteReadError

if TYPE_CHECKING:
    from collections.abc import Iterator

CHUNK = 1 << 20


def parse_s3(source: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    rest = source.removeprefix("s3://")
    bucket, _, prefix = rest.partition("/")
    return bucket, prefix


@functools.cache
def client(endpoint: str) -> Any:  # noqa: ANN401 - boto3 clients are untyped
    """One boto3 client per endpoint and process (credentials from the standard chain)."""
    import boto3
    from botocore.config import Config

    config = Config(retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=16)
    return boto3.session.Session().client("s3", endpoint_url=endpoint or None, config=config)


def list_s3(source: str, endpoint: str) -> Iterator[Item | ListingError]:
    """Every object under the prefix (directory markers skipped)."""
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, prefix = parse_s3(source)
    if not bucket:
        yield ListingError(source=source, uri=source, message="no bucket in the S3 URL")
        return
    endpoint = (
        endpoint
        or os.environ.get("AWS_ENDPOINT_URL_S3", "")
        or os.environ.get("AWS_ENDPOINT_URL", "")
    )
    try:
        pages = client(endpoint).get_paginator("list_objects_v2")
        for page in pages.paginate(Bucket=bucket, Prefix=prefix):
            for obj in page.get("Contents", ()):
                key = obj["Key"]
                size = int(obj["Size"])
                if key.endswith("/") and size == 0:
                    continue
                etag = str(obj.get("ETag", "")).strip('"')
                yield s3_item(source, endpoint, bucket, key, size, etag, "")
    except (BotoCoreError, ClientError) as exc:
        yield ListingError(source=source, uri=source, message=f"S3 listing failed: {exc}")


def s3_item(
    source: str, endpoint: str, bucket: str, key: str, size: int, etag: str, version: str
) -> Item:
    """An S3 object as an item (also used for MLflow versions stored in S3)."""
    return Item(
        kind=SourceKind.S3,
        source=source,
        uri=f"s3://{bucket}/{key}",
        size=size,
        fingerprint=f"s3:{bucket}/{key}:{version}:{etag}:{size}",
        locator=(
            ("bucket", bucket),
            ("key", key),
            ("etag", etag),
            ("version", version),
            ("endpoint", endpoint),
        ),
    )


class S3Fetcher:
    """Ranged ``GetObject`` calls on one object version."""

    def __init__(self, item: Item) -> None:
        self._args: dict[str, str] = {"Bucket": item.get("bucket"), "Key": item.get("key")}
        if item.get("etag"):
            self._args["IfMatch"] = item.get("etag")
        if item.get("version"):
            self._args["VersionId"] = item.get("version")
        self._client = client(item.get("endpoint"))

    def fetch(self, start: int, end: int) -> bytes | None:
        response = self._get(Range=f"bytes={start}-{end - 1}")
        if "ContentRange" not in response:
            response["Body"].close()
            return None
        data: bytes = response["Body"].read()
        return data

    def stream(self) -> Iterator[bytes]:
        body = self._get()["Body"]
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def _get(self, **extra: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response: dict[str, Any] = self._client.get_object(**self._args, **extra)
        except (BotoCoreError, ClientError) as exc:
            raise RemoteReadError(f"S3 read failed: {exc}") from None
        return response
