"""A real S3 HTTP endpoint for the lake tests: moto's server on 127.0.0.1.

``moto_s3`` (session) runs one ``ThreadedMotoServer`` on a fixed free port and can stop and
restart it on the same port (the outage tests); moto keeps its data in process memory, so what
was written before a stop is still there after the restart, like a real server coming back.
``s3_settings`` (function) gives every test empty ``bronze``/``silver``/``gold`` buckets and a
:class:`Settings` pointing at them with dummy keys, so tests are independent.
"""

from __future__ import annotations

import collections
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import s3fs
from botocore.config import Config
from moto.server import ThreadedMotoServer

from raidlib.lake import Lake
from raidlib.settings import Settings

BUCKETS = ("bronze", "silver", "gold")
ACCESS_KEY = "raidlib-test-key"
SECRET_KEY = "raidlib-test-secret"
REGION = "us-east-1"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoS3:
    """One moto S3 server on ``127.0.0.1:<port>`` that can be stopped and restarted."""

    port: int = field(default_factory=_free_port)
    host: str = "127.0.0.1"
    _server: ThreadedMotoServer | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        if self._server is not None:
            return
        server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        server.start()
        self._server = server
        self._wait_until(accepting=True)

    def stop(self) -> None:
        """Shut the listener down: every request now fails to connect (an S3 outage)."""
        if self._server is None:
            return
        self._server.stop()
        # ThreadedMotoServer.stop() shuts down serve_forever() but leaves the socket bound.
        if self._server._server is not None:
            self._server._server.server_close()
        self._server = None
        self._wait_until(accepting=False)

    @contextmanager
    def outage(self) -> Iterator[None]:
        """``with moto_s3.outage(): ...`` runs the block with the server down, then restarts it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def client(self):  # type: ignore[no-untyped-def]
        """A plain boto3 client, for setting up and inspecting buckets behind the lake's back."""
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
            config=Config(retries={"max_attempts": 2, "mode": "standard"}),
        )

    def reset(self) -> None:
        """Drop every bucket and object (moto's reset API) and create empty bronze/silver/gold."""
        import urllib.request

        request = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
        client = self.client()
        for bucket in BUCKETS:
            client.create_bucket(Bucket=bucket)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every object key in ``bucket`` under ``prefix`` (paginated), sorted."""
        paginator = self.client().get_paginator("list_objects_v2")
        keys: list[str] = []
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
            keys.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(keys)

    def settings(self, **overrides: object) -> Settings:
        """Settings whose three layer roots are the buckets on this server."""
        values: dict[str, object] = {
            "bronze_root": "s3://bronze",
            "silver_root": "s3://silver",
            "gold_root": "s3://gold",
            "s3_endpoint_url": self.endpoint_url,
            "s3_access_key_id": ACCESS_KEY,
            "s3_secret_access_key": SECRET_KEY,
            "s3_region": REGION,
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[arg-type]

    def _wait_until(self, *, accepting: bool, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.2):
                    up = True
            except OSError:
                up = False
            if up == accepting:
                return
            time.sleep(0.02)
        raise RuntimeError(f"moto server on {self.endpoint_url} did not become {accepting=}")


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoS3]:
    """The session's S3 server (started once; stop/start/outage for the outage tests)."""
    empty: Path = tmp_path_factory.mktemp("aws") / "none"
    with pytest.MonkeyPatch.context() as env:
        # A developer's ~/.aws or AWS_* must not steer the tests: every value comes from Settings.
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            env.delenv(name)
        env.setenv("AWS_CONFIG_FILE", str(empty))
        env.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
        # Fail fast while the server is down (botocore's default, 5 legacy attempts, takes ~8 s
        # per request); production keeps botocore's defaults. Read when a client is created.
        env.setenv("AWS_RETRY_MODE", "standard")
        env.setenv("AWS_MAX_ATTEMPTS", "2")
        server = MotoS3()
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def s3_settings(moto_s3: MotoS3) -> Iterator[Settings]:
    """Settings on empty ``s3://bronze``, ``s3://silver``, ``s3://gold`` (server running)."""
    moto_s3.start()  # a failed outage test may have left it down
    moto_s3.reset()
    yield moto_s3.settings()
    moto_s3.start()


@pytest.fixture
def s3_lake(s3_settings: Settings) -> Lake:
    """The lake over the moto buckets, built exactly as the product builds it."""
    return Lake.from_settings(s3_settings)


@pytest.fixture
def s3_requests(monkeypatch: pytest.MonkeyPatch) -> collections.Counter[str]:
    """Every S3 API call s3fs makes from now on, counted by operation and bucket
    (``"list_objects_v2 silver"``)."""
    calls: collections.Counter[str] = collections.Counter()
    original = s3fs.S3FileSystem._call_s3

    async def counting(self: s3fs.S3FileSystem, method: str, *args: Any, **kwargs: Any) -> Any:
        calls[f"{method} {kwargs.get('Bucket')}"] += 1
        return await original(self, method, *args, **kwargs)

    monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", counting)
    return calls
