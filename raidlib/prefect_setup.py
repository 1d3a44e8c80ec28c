"""Idempotent Prefect set-up for raidlib: the work pool, the concurrency limits, the deployments.

Everything raidlib's deployments rely on is created here, never by hand:

- the process work pool ``raidlib-pool`` that ``prefect.yaml`` deploys to and workers poll;
- the global concurrency limit ``raidlib-dim-player`` (1 slot) that serialises the
  ``dim_player`` rebuild across concurrent flow runs;
- the global concurrency limit ``raidlib-bronze-to-silver`` (1 slot) held by a silver run
  while it rewrites partitions (two runs rebuilding one partition would let the last win);
- the global concurrency limit ``raidlib-silver-to-gold`` (1 slot) held by a gold run from
  choosing the raids to rebuild to recording them.

Running the set-up twice changes nothing; a limit found with another slot count is put back
to 1. ``deploy_all`` wraps ``prefect deploy --all`` for the project's ``prefect.yaml``.
Called by ``raidlib up`` and ``raidlib setup-prefect``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WORK_POOL_NAME = "raidlib-pool"
WORK_POOL_TYPE = "process"
DIM_PLAYER_LIMIT_NAME = "raidlib-dim-player"
DIM_PLAYER_LIMIT = 1
SILVER_LIMIT_NAME = "raidlib-bronze-to-silver"
"""Held by a bronze_to_silver run while it rewrites silver partitions (1 slot)."""
GOLD_LIMIT_NAME = "raidlib-silver-to-gold"
"""Held by a silver_to_gold run from choosing the raids to rebuild to recording what it built
(1 slot): two runs at once could otherwise write one raid from older silver last, and record
the newer silver as built, so the raid would never be rebuilt."""
LIMIT_NAMES = (DIM_PLAYER_LIMIT_NAME, SILVER_LIMIT_NAME, GOLD_LIMIT_NAME)


class PrefectSetupError(RuntimeError):
    """The Prefect API could not be reached or refused the set-up."""


class PrefectApiUnreachable(PrefectSetupError):
    """No Prefect API to talk to: none configured, not an http(s) URL, or nobody answers
    there. A server to start or a setting to fix, not a set-up that failed."""


@dataclass(frozen=True)
class SetupReport:
    """What :func:`setup_prefect` did: ``True`` means created (or repaired) now."""

    api_url: str
    work_pool_created: bool
    concurrency_limit_changed: bool

    def lines(self) -> list[str]:
        pool = "created" if self.work_pool_created else "already there"
        gcl = "created/updated" if self.concurrency_limit_changed else "already there"
        return [
            f"Prefect API: {self.api_url}",
            f"work pool {WORK_POOL_NAME!r} ({WORK_POOL_TYPE}): {pool}",
            f"global concurrency limits {', '.join(map(repr, LIMIT_NAMES))} (1 slot each): {gcl}",
        ]


def ensure_work_pool(client, name: str = WORK_POOL_NAME) -> bool:
    """Create the process work pool unless it exists. Returns ``True`` when created.

    The pool gets the process worker's default base job template, as
    ``prefect work-pool create --type process`` would give it.
    """
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        client.read_work_pool(name)
        return False
    except ObjectNotFound:
        pass
    pool = WorkPoolCreate(
        name=name,
        type=WORK_POOL_TYPE,
        base_job_template=ProcessWorker.get_default_base_job_template(),
        description="raidlib flows, run as local processes by `prefect worker start`",
    )
    try:
        client.create_work_pool(pool)
    except ObjectAlreadyExists:  # created concurrently by someone else: fine
        return False
    return True


def ensure_concurrency_limit(
    client, name: str = DIM_PLAYER_LIMIT_NAME, limit: int = DIM_PLAYER_LIMIT
) -> bool:
    """Create the global concurrency limit, or reset it to ``limit`` slots and active.

    Returns ``True`` when something was created or changed.
    """
    from prefect.client.schemas.actions import (
        GlobalConcurrencyLimitCreate,
        GlobalConcurrencyLimitUpdate,
    )
    from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

    try:
        existing = client.read_global_concurrency_limit_by_name(name)
    except ObjectNotFound:
        try:
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit, active=True)
            )
        except ObjectAlreadyExists:
            return False
        return True
    if existing.limit == limit and existing.active:
        return False
    client.update_global_concurrency_limit(
        name, GlobalConcurrencyLimitUpdate(limit=limit, active=True)
    )
    return True


def resolve_api_url(api_url: str | None = None) -> str:
    """The explicit URL, else ``PREFECT_API_URL`` (env or active profile).

    Raises:
        PrefectSetupError: when neither is set — the set-up against Prefect's throw-away
            ephemeral server would be lost on exit.
    """
    if api_url:
        return api_url.rstrip("/")
    from prefect.settings import PREFECT_API_URL

    value = PREFECT_API_URL.value()
    if not value:
        raise PrefectApiUnreachable(
            "PREFECT_API_URL is not set: start a server (`raidlib up`) and export "
            "PREFECT_API_URL=http://127.0.0.1:4200/api, or pass --api-url"
        )
    return str(value).rstrip("/")


def setup_prefect(api_url: str | None = None) -> SetupReport:
    """Create the work pool and the three concurrency limits (idempotent).

    Args:
        api_url: Prefect API, e.g. ``http://127.0.0.1:4200/api``; default ``PREFECT_API_URL``.

    Raises:
        PrefectSetupError: no API configured, or the API is unreachable / refuses.
    """
    url = resolve_api_url(api_url)
    with _api_client(url, "Prefect set-up") as client:
        pool_created = ensure_work_pool(client)
        limit_changed = False
        for name in LIMIT_NAMES:
            limit_changed |= ensure_concurrency_limit(client, name=name, limit=1)
    return SetupReport(url, pool_created, limit_changed)


@contextmanager
def _api_client(url: str, what: str) -> Iterator[Any]:
    """A sync Prefect client on ``url``; any API failure becomes a :class:`PrefectSetupError`,
    a server that does not answer a :class:`PrefectApiUnreachable`."""
    import httpx
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    try:
        with (
            temporary_settings(updates={PREFECT_API_URL: url}),
            get_client(sync_client=True) as client,
        ):
            yield client
    except PrefectSetupError:
        raise
    except httpx.UnsupportedProtocol as exc:
        raise PrefectApiUnreachable(
            f"{url} is not an http:// or https:// URL (e.g. http://127.0.0.1:4200/api): "
            "check --api-url / PREFECT_API_URL"
        ) from exc
    except httpx.TransportError as exc:  # refused, unknown host, timed out
        raise PrefectApiUnreachable(
            f"no Prefect server answers at {url} ({type(exc).__name__}: {exc}): start one "
            "with `raidlib up` (or `prefect server start`), or check --api-url / PREFECT_API_URL"
        ) from exc
    except Exception as exc:  # httpx connection errors, HTTP 4xx/5xx
        raise PrefectSetupError(f"{what} against {url} failed: {exc}") from exc


def deployments_on_work_pools(
    names: Iterable[str], api_url: str | None = None, *, delete: bool = False
) -> dict[str, str]:
    """``flow/deployment`` → work pool, for those of ``names`` that a work pool runs.

    ``prefect deploy`` binds a deployment to a work pool; ``serve`` later does not take it over
    (Prefect 3.9 keeps the pool, so the pool's worker goes on picking its runs up:
    PrefectHQ/prefect#15073). With ``delete=True`` those deployments are deleted so that
    serving can create them afresh; their past runs stay, their scheduled ones go.
    """
    from prefect.exceptions import ObjectNotFound

    found: dict[str, str] = {}
    with _api_client(resolve_api_url(api_url), "Reading deployments") as client:
        for name in names:
            try:
                deployment = client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            if deployment.work_pool_name:
                found[name] = deployment.work_pool_name
                if delete:
                    client.delete_deployment(deployment.id)
    return found


def deploy_all(
    project_dir: str | os.PathLike[str],
    api_url: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    log_file: str | os.PathLike[str] | None = None,
    timeout_s: float = 300.0,
) -> None:
    """Run ``prefect deploy --all`` on ``<project_dir>/prefect.yaml``, without prompts.

    ``RAIDLIB_PROJECT_DIR`` is set to ``project_dir`` (unless ``env`` says otherwise) so the
    deployments' ``set_working_directory`` pull step points at this checkout.

    Raises:
        PrefectSetupError: the command failed or timed out; the message names its output.
    """
    project = Path(project_dir).resolve()
    if not (project / "prefect.yaml").is_file():
        raise PrefectSetupError(f"no prefect.yaml in {project}: deploy from a raidlib checkout")
    url = resolve_api_url(api_url)
    child_env = {
        **os.environ,
        "RAIDLIB_PROJECT_DIR": str(project),
        **(env or {}),
        "PREFECT_API_URL": url,
        "PREFECT_CLI_PROMPT": "false",
    }
    argv = [
        sys.executable,
        "-m",
        "prefect",
        "--no-prompt",
        "deploy",
        "--all",
        "--prefect-file",
        str(project / "prefect.yaml"),
    ]
    try:
        done = subprocess.run(
            argv,
            cwd=project,
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PrefectSetupError(
            f"`prefect deploy --all` timed out after {timeout_s:.0f} s"
        ) from exc
    output = done.stdout + done.stderr
    if log_file is not None:
        Path(log_file).write_text(output, encoding="utf-8")
    if done.returncode != 0:
        where = f" (full output in {log_file})" if log_file else ""
        raise PrefectSetupError(
            f"`prefect deploy --all` exited with {done.returncode}{where}:\n{output[-3000:]}"
        )
