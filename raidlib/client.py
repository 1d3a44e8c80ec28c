"""Post batches of events to a receiver: concurrent, retried, idempotent, with a progress bar.

Every batch travels as the envelope ``{"batch_id", "source", "events"}`` and a retry re-sends the
very same bytes, so a retry after a lost response is answered ``200 duplicate`` by the receiver
instead of landing the batch twice. Retried: connection errors, timeouts, 408/425/429 and 5xx.
Not retried: any other 4xx (the batch itself is wrong; retrying cannot help).
"""

from __future__ import annotations

import json
import queue
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx
from tqdm import tqdm

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})


class BatchLike(Protocol):
    """What :func:`post_batches` needs from a batch (the generator's ``WireBatch`` fits)."""

    @property
    def batch_id(self) -> str: ...

    @property
    def events(self) -> Sequence[Any]: ...

    def body(self) -> bytes: ...


@dataclass(frozen=True)
class EventBatch:
    """A ready-to-post batch built from plain event dicts."""

    batch_id: str
    events: Sequence[Any]
    source: str = "raidlib-client"

    @classmethod
    def of(cls, events: Sequence[Any], source: str = "raidlib-client") -> EventBatch:
        return cls(str(uuid.uuid4()), events, source)

    def body(self) -> bytes:
        envelope = {"batch_id": self.batch_id, "source": self.source, "events": list(self.events)}
        return json.dumps(envelope, separators=(",", ":"), default=str).encode()


@dataclass(frozen=True)
class PostResult:
    """The outcome of one batch after its retries.

    ``outcome``: ``accepted`` (201), ``duplicate`` (200), ``rejected`` (4xx, not retried) or
    ``failed`` (retries exhausted on transport errors or retryable statuses).
    """

    batch_id: str
    outcome: str
    status_code: int | None
    events: int
    attempts: int
    response: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class SendSummary:
    """The outcomes of :func:`post_batches`, in the order their batches finished."""

    results: list[PostResult] = field(default_factory=list)

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def accepted(self) -> int:
        return self.count("accepted")

    @property
    def duplicate(self) -> int:
        return self.count("duplicate")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def events_accepted(self) -> int:
        return sum(r.events for r in self.results if r.outcome == "accepted")

    @property
    def first_error(self) -> str | None:
        """The error of the first batch to finish with one (``None`` when none did)."""
        return next((r.error for r in self.results if r.error), None)

    def describe(self) -> str:
        lines = [
            f"batches: {len(self.results)}  accepted: {self.accepted}  duplicate: {self.duplicate}"
            f"  rejected(4xx): {self.rejected}  failed: {self.failed}",
            f"events accepted: {self.events_accepted}",
        ]
        if self.first_error:
            lines.append(f"first error: {self.first_error}")
        return "\n".join(lines)


def events_endpoint(url: str) -> str:
    """``http://host:8000`` or ``http://host:8000/events`` → the ``/events`` endpoint."""
    url = url.rstrip("/")
    return url if url.endswith("/events") else f"{url}/events"


class ReceiverUnreachable(ConnectionError):
    """No HTTP server answers at the receiver URL; nothing was posted."""


class ReceiverRefusedToken(Exception):
    """The receiver needs a bearer token and got none, or refused the one given: every batch
    would be answered 401, so the sending stopped.

    ``summary``: what :func:`post_batches` had sent when the first 401 came (None when
    :func:`require_receiver` found out before anything was sent).
    """

    def __init__(self, url: str, token_given: bool, summary: SendSummary | None = None) -> None:
        if token_given:
            message = (
                f"the receiver at {url} refused the token given (--token / RAIDLIB_AUTH_TOKEN): "
                "it must be the one given to raidlib serve"
            )
        else:
            message = (
                f"the receiver at {url} needs a token: pass --token or set RAIDLIB_AUTH_TOKEN "
                "(the one given to raidlib serve)"
            )
        if summary is not None and summary.accepted:
            message += f"; {summary.accepted} batch(es) had landed before"
        super().__init__(message)
        self.url = url
        self.token_given = token_given
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:  # Prefect pickles a failed task's exception
        return (type(self), (self.url, self.token_given, self.summary))


def require_receiver(
    url: str,
    *,
    sends_token: bool | None = None,
    wait_s: float = 5.0,
    sleep: Any = time.sleep,
) -> None:
    """Fail fast when no server answers at ``url``, instead of retrying every batch into failure.

    Any HTTP answer counts as "there" (a proxy without ``/health`` still gets the batches, and
    their answers say what is wrong); only transport errors, for ``wait_s`` seconds, do not. The
    short wait covers a receiver started a moment earlier (``raidlib serve &``).

    ``sends_token=False`` (the batches will carry no token) also raises
    :class:`ReceiverRefusedToken` when the receiver's ``/health`` says ``auth_required``; None
    (the default) does not look.
    """
    health = events_endpoint(url).removesuffix("/events") + "/health"
    deadline = time.monotonic() + wait_s
    while True:
        try:
            answer = httpx.get(health, timeout=max(1.0, wait_s))
            if sends_token is False and _auth_required(answer):
                raise ReceiverRefusedToken(url, token_given=False)
            return
        except httpx.UnsupportedProtocol as exc:  # waiting cannot fix the URL
            raise ReceiverUnreachable(
                f"{url} is not an http:// or https:// URL (e.g. http://127.0.0.1:8000)"
            ) from exc
        except httpx.TransportError as exc:
            if time.monotonic() >= deadline:
                raise ReceiverUnreachable(
                    f"no receiver answers at {url} ({type(exc).__name__}: {exc}); start one "
                    "with `raidlib serve` (or `raidlib up`), or check the URL"
                ) from exc
        sleep(0.5)


def _auth_required(health: httpx.Response) -> bool:
    """Whether a receiver's ``/health`` answer says ``POST /events`` needs a token."""
    try:
        payload = health.json()
    except ValueError:  # not the receiver's JSON (a proxy's page): its batches will tell
        return False
    return isinstance(payload, dict) and payload.get("auth_required") is True


def _describe_rejection(response: httpx.Response, payload: dict[str, Any] | None) -> str:
    if not payload:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    message = f"HTTP {response.status_code} {payload.get('status', '')}: {payload.get('error', '')}"
    errors = payload.get("errors") or []
    # The receiver's `error` already names the first invalid event; add it only when missing.
    if (
        not payload.get("error")
        and errors
        and isinstance(errors[0], dict)
        and errors[0].get("errors")
    ):
        first = errors[0]["errors"][0]
        message += f" (event {errors[0].get('index')}: {first.get('loc')} {first.get('msg')})"
    return message.strip()


def post_batch(
    client: httpx.Client,
    url: str,
    batch: BatchLike,
    *,
    retries: int = 3,
    backoff_s: float = 0.5,
    max_backoff_s: float = 10.0,
    token: str | None = None,
    sleep: Any = time.sleep,
) -> PostResult:
    """POST one batch, retrying transient failures with exponential backoff and jitter."""
    body = batch.body()
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    n_events = len(batch.events)
    error: str | None = None
    status: int | None = None
    for attempt in range(1, retries + 2):
        try:
            response = client.post(url, content=body, headers=headers)
        except httpx.TransportError as exc:
            error = f"{type(exc).__name__}: {exc}"
            status = None
        else:
            status = response.status_code
            try:
                payload = response.json()
            except ValueError:
                payload = None
            if status in (200, 201):
                outcome = "accepted" if status == 201 else "duplicate"
                return PostResult(batch.batch_id, outcome, status, n_events, attempt, payload)
            error = _describe_rejection(response, payload)
            if status not in RETRY_STATUS:
                return PostResult(
                    batch.batch_id, "rejected", status, n_events, attempt, payload, error
                )
        if attempt <= retries:
            delay = min(max_backoff_s, backoff_s * 2 ** (attempt - 1))
            sleep(delay * (0.5 + random.random() / 2))
    return PostResult(batch.batch_id, "failed", status, n_events, retries + 1, None, error)


def post_batches(
    url: str,
    batches: Iterable[BatchLike],
    *,
    concurrency: int = 4,
    retries: int = 3,
    backoff_s: float = 0.5,
    token: str | None = None,
    timeout_s: float = 60.0,
    progress: bool = True,
    total_events: int | None = None,
    on_result: Callable[[PostResult], None] | None = None,
) -> SendSummary:
    """Post ``batches`` to a receiver with ``concurrency`` threads; results in completion order.

    At most ``2 × concurrency`` batches are in flight or queued at once, so a lazy iterable of
    batches is consumed as it goes. The progress bar counts events whose batch got an answer
    (any answer: rejected and failed batches are counted beside it);
    ``on_result`` is called with each answer, in the calling thread.

    Raises:
        ReceiverRefusedToken: a batch was answered 401 (no token, or not the receiver's). Every
            other batch would be too, so none more is sent: the queued ones are dropped, those
            in flight finish, and the exception's ``summary`` holds the answers received.
    """
    endpoint = events_endpoint(url)
    summary = SendSummary()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    if total_events is None and isinstance(batches, Sequence):
        total_events = sum(len(b.events) for b in batches)
    bar = tqdm(total=total_events, unit="ev", unit_scale=True, disable=not progress, desc="sent")
    unauthorized = False
    with (
        httpx.Client(timeout=timeout_s, limits=limits) as client,
        ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="raidlib-send") as pool,
        bar,
    ):

        def done(future: Future[PostResult]) -> None:
            nonlocal unauthorized
            pending.discard(future)
            if future.cancelled():  # dropped from the queue after a 401: never sent
                return
            result = future.result()  # only ever called here, in the calling thread
            summary.results.append(result)
            unauthorized |= result.status_code == 401
            if result.outcome in ("rejected", "failed"):
                bar.set_postfix_str(
                    f"rejected {summary.rejected}, failed {summary.failed}", refresh=False
                )
            bar.update(result.events)
            if on_result is not None:
                on_result(result)

        # Each future puts itself here as it finishes, so answers are taken in completion order.
        finished: queue.SimpleQueue[Future[PostResult]] = queue.SimpleQueue()
        pending: set[Future[PostResult]] = set()
        for batch in batches:
            if len(pending) >= 2 * concurrency:
                done(finished.get())
            while not finished.empty():  # answers already in: a 401 stops the sending sooner
                done(finished.get())
            if unauthorized:
                break
            future = pool.submit(
                post_batch,
                client,
                endpoint,
                batch,
                retries=retries,
                backoff_s=backoff_s,
                token=token,
            )
            pending.add(future)
            future.add_done_callback(finished.put)
        while pending:
            if unauthorized:
                for future in list(pending):
                    future.cancel()  # a queued one only; cancelling puts it in `finished` too
            done(finished.get())
    if unauthorized:
        raise ReceiverRefusedToken(url, token_given=bool(token), summary=summary)
    return summary
