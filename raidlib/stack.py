"""The local stack without Docker: Prefect server, set-up, worker and receiver on 127.0.0.1.

Each component is a child process in its own process group (session), logging to
``<state_dir>/logs/<name>.log``. :meth:`Stack.start` starts them in order and waits, with a
bounded timeout, until each is healthy; a failure names the component and its log file.
:meth:`Stack.stop` stops them in reverse order — SIGTERM to the whole group, SIGKILL after a
grace period — so nothing is left behind. ``raidlib up`` is the command-line face of this.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from raidlib.child_process import Component, port_in_use
from raidlib.lake.preflight import LAYERS
from raidlib.prefect_setup import WORK_POOL_NAME, deploy_all, setup_prefect
from raidlib.stack_runs import stop_flow_runs


class StackError(RuntimeError):
    """A component failed to start or become healthy in time."""


def project_root() -> Path:
    """The checkout holding ``prefect.yaml`` (this package's parent), else the current folder."""
    here = Path(__file__).resolve().parent.parent
    return here if (here / "prefect.yaml").exists() else Path.cwd()


def project_dir_problem(project_dir: Path, *, deploy: bool) -> str | None:
    """Why ``project_dir`` cannot serve, checked before anything starts; None when it can.

    A mistyped ``--project-dir`` would otherwise be created (logs, Prefect's database) and
    ``--deploy`` from a wheel install, which has no ``prefect.yaml``, failed only after the
    Prefect server had started, with Prefect's own "An entrypoint must be provided".
    """
    if not project_dir.is_dir():
        return f"--project-dir {project_dir} is not a folder"
    if deploy and not (project_dir / "prefect.yaml").is_file():
        return (
            f"--deploy needs a raidlib checkout: {project_dir} holds no prefect.yaml "
            "(pass --project-dir CHECKOUT, or run from one)"
        )
    return None


def state_dir_problem(state_dir: Path) -> str | None:
    """Why the stack cannot keep its logs and Prefect database in ``state_dir``, checked before
    anything starts and creating nothing; None when it can.

    A file given as ``--state-dir`` (or an unwritable folder) was found only by the first
    ``mkdir``, as a NotADirectoryError traceback.
    """
    existing = next(p for p in (state_dir, *state_dir.parents) if p.exists() or p == p.parent)
    if existing.exists() and not existing.is_dir():
        if existing == state_dir:
            return f"--state-dir {state_dir} is a file, not a folder"
        return f"--state-dir {state_dir} cannot be created: {existing} is a file, not a folder"
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        return f"--state-dir {state_dir} cannot be written: {exc.strerror or exc}"
    return None


FILESYSTEM_LEASES = "prefect.server.concurrency.lease_storage.filesystem"
"""Prefect's lease storage on disk (under ``PREFECT_HOME``), which survives a server restart."""


@dataclass
class StackConfig:
    """Everything ``raidlib up`` can change. Paths are resolved against ``project_dir``."""

    project_dir: Path = field(default_factory=project_root)
    state_dir: Path | None = None  # default <project_dir>/.raidlib
    host: str = "127.0.0.1"
    prefect_port: int = 4200
    receiver_port: int = 8000
    worker: bool = True
    receiver: bool = True
    deploy: bool = False
    lake: str | None = None  # local lake folder for the receiver and the worker's flow runs
    worker_poll_s: float = 5.0
    startup_timeout_s: float = 90.0
    stop_timeout_s: float = 10.0
    extra_env: dict[str, str] = field(default_factory=dict)

    def resolved_state_dir(self) -> Path:
        return (self.state_dir or self.project_dir / ".raidlib").resolve()


class Stack:
    """The running local stack. Use as a context manager, or call start()/stop()."""

    def __init__(self, config: StackConfig, echo: Callable[[str], Any] = print) -> None:
        self.config = config
        self.echo = echo
        self.components: list[Component] = []
        state = config.resolved_state_dir()
        self.state_dir = state
        self.logs_dir = state / "logs"
        self.prefect_home = state / "prefect"
        self.worker_name = f"raidlib-local-{uuid.uuid4().hex[:8]}"
        #: Seconds each start-up step took ("prefect-server", "setup", "deploy", ...).
        self.timings: dict[str, float] = {}

    # URLs -------------------------------------------------------------------------------
    @property
    def ui_url(self) -> str:
        return f"http://{self.config.host}:{self.config.prefect_port}"

    @property
    def api_url(self) -> str:
        return f"{self.ui_url}/api"

    @property
    def receiver_url(self) -> str:
        return f"http://{self.config.host}:{self.config.receiver_port}"

    def urls(self) -> dict[str, str]:
        urls = {"Prefect UI": self.ui_url, "Prefect API": self.api_url}
        if self.config.receiver:
            urls["Receiver"] = f"{self.receiver_url}  (POST /events, GET /health)"
        return urls

    # Environment ------------------------------------------------------------------------
    def child_env(self) -> dict[str, str]:
        """The environment every component (and every flow run) inherits."""
        cfg = self.config
        env = dict(os.environ)
        env.update(
            PREFECT_HOME=str(self.prefect_home),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_CLI_PROMPT="false",
            RAIDLIB_PROJECT_DIR=str(cfg.project_dir.resolve()),
            PYTHONUNBUFFERED="1",
        )
        # Prefect keeps concurrency-slot leases in the server's memory unless told otherwise:
        # a restarted server then never gives back a slot that a killed run held
        # (PrefectHQ/prefect#20090).
        env.setdefault("PREFECT_SERVER_CONCURRENCY_LEASE_STORAGE", FILESYSTEM_LEASES)
        if cfg.lake:
            lake = Path(cfg.lake)
            lake = lake if lake.is_absolute() else (cfg.project_dir / lake)
            for layer in LAYERS:
                env[f"RAIDLIB_{layer.upper()}_ROOT"] = str(lake.resolve() / layer)
        env.update(cfg.extra_env)
        return env

    def _component(self, name: str, argv: list[str], **env: str) -> Component:
        return Component(
            name=name,
            argv=argv,
            env={**self.child_env(), **env},
            log_path=self.logs_dir / f"{name}.log",
            cwd=self.config.project_dir.resolve(),
        )

    # Start / stop -----------------------------------------------------------------------
    def start(self) -> None:
        """Start every enabled component in order; on any failure stop what started, raise."""
        cfg = self.config
        self._require_free_ports()
        if (problem := state_dir_problem(self.state_dir)) is not None:
            raise StackError(problem)
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.prefect_home.mkdir(parents=True, exist_ok=True)
        try:
            self._start_server()
            self._set_up_prefect()
            if cfg.deploy:
                self._deploy()
            if cfg.worker:
                self._start_worker()
            if cfg.receiver:
                self._start_receiver()
        except BaseException:
            self.stop()
            raise

    def _set_up_prefect(self) -> None:
        self.echo(f"setting up Prefect ({WORK_POOL_NAME}, concurrency limit) ...")
        started = time.monotonic()
        for line in setup_prefect(self.api_url).lines()[1:]:
            self.echo(f"  {line}")
        self.timings["setup"] = time.monotonic() - started

    def _deploy(self) -> None:
        log_file = self.logs_dir / "deploy.log"
        self.echo(f"prefect deploy --all (log: {log_file}) ...")
        started = time.monotonic()
        deploy_all(self.config.project_dir, self.api_url, env=self.child_env(), log_file=log_file)
        self.timings["deploy"] = time.monotonic() - started
        self.echo(f"  deployed in {self.timings['deploy']:.1f} s")

    def _require_free_ports(self) -> None:
        """Refuse to start when a port is taken: the health checks would pass on the other
        server (another ``raidlib up``), set it up and deploy to it, and only then fail."""
        cfg = self.config
        wanted = [("Prefect server", cfg.prefect_port, "--prefect-port")]
        if cfg.receiver:
            wanted.append(("receiver", cfg.receiver_port, "--receiver-port"))
        for what, port, option in wanted:
            try:
                taken = port_in_use(cfg.host, port)
            except OSError as exc:  # socket.gaierror: no such host
                raise StackError(f"cannot listen on {cfg.host!r}: {exc}; check --host") from exc
            if taken:
                raise StackError(
                    f"port {port} on {cfg.host} (the {what}) is already in use, perhaps by "
                    f"another `raidlib up`, Prefect server or receiver; stop it or choose "
                    f"another port with {option}"
                )

    def stop(self) -> None:
        """Stop every started component, last started first; but first the worker (so that it
        starts no more runs) and then the flow runs in progress, while the server can still
        record their end. Safe to call twice."""
        if any(c.name == "prefect-server" and c.alive() for c in self.components):
            for worker in [c for c in self.components if c.name == "worker"]:
                self.echo("stopping worker ...")
                worker.stop(self.config.stop_timeout_s)
                self.components.remove(worker)
            stop_flow_runs(self.api_url, self.echo)
        for component in reversed(self.components):
            if component.process is not None:
                self.echo(f"stopping {component.name} ...")
            component.stop(self.config.stop_timeout_s)
        self.components.clear()

    def __enter__(self) -> Stack:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def failed_component(self) -> Component | None:
        """The first started component whose process has exited, if any."""
        return next((c for c in self.components if not c.alive()), None)

    def restart(self, component: Component, abort: Callable[[], bool] = lambda: False) -> None:
        """Start a worker or receiver that died again, in its place, and wait until it is
        healthy (:class:`StackError` if it is not, if it cannot be started, or once ``abort()``
        is true).

        What is left of the dead one's process group is stopped first. (Prefect starts each
        flow run in a session of its own: a run its dead worker started is not in that group,
        and goes on, or ends as Crashed, by itself.)
        """
        starters = {"worker": self._start_worker, "receiver": self._start_receiver}
        if component.name not in starters:
            raise StackError(f"{component.name} cannot be restarted on its own")
        component.stop(self.config.stop_timeout_s)
        cfg = self.config
        if component.name == "receiver" and port_in_use(cfg.host, cfg.receiver_port):
            # Its health check would take the other program's answer for the new receiver's.
            raise StackError(
                f"port {cfg.receiver_port} on {cfg.host} was taken by another program after "
                "the receiver died"
            )
        place = self.components.index(component)
        self.components.remove(component)
        try:
            starters[component.name](abort)
        except OSError as exc:  # no Python to start any more, no memory to fork
            raise StackError(f"{component.name} could not be started: {exc}") from exc
        finally:  # stop() goes in reverse start order: keep the new one where the old one was
            if self.components and self.components[-1].name == component.name:
                self.components.insert(place, self.components.pop())

    # Components -------------------------------------------------------------------------
    def _start_server(self) -> None:
        cfg = self.config
        argv = [sys.executable, "-m", "prefect", "server", "start", "--analytics-off"]
        argv += ["--host", cfg.host, "--port", str(cfg.prefect_port)]
        server = self._component("prefect-server", argv)
        self._launch(server)
        self._wait_http(server, f"{self.api_url}/health")

    def _start_worker(self, abort: Callable[[], bool] = lambda: False) -> None:
        # A new name each start: a restarted worker is healthy once *it* has registered.
        self.worker_name = f"raidlib-local-{uuid.uuid4().hex[:8]}"
        argv = [sys.executable, "-m", "prefect", "worker", "start", "--type", "process"]
        argv += ["--pool", WORK_POOL_NAME, "--name", self.worker_name]
        worker = self._component(
            "worker", argv, PREFECT_WORKER_QUERY_SECONDS=str(self.config.worker_poll_s)
        )
        self._launch(worker)
        self._wait(worker, self._worker_registered, "registered with the work pool", abort)

    def _start_receiver(self, abort: Callable[[], bool] = lambda: False) -> None:
        cfg = self.config
        # `-c`: raidlib.cli has no __main__ module; this is the console script's body.
        argv = [sys.executable, "-c", "from raidlib.cli import main; raise SystemExit(main())"]
        argv += ["serve", "--host", cfg.host, "--port", str(cfg.receiver_port)]
        receiver = self._component(
            "receiver",
            argv,
            RAIDLIB_RECEIVER_HOST=cfg.host,
            RAIDLIB_RECEIVER_PORT=str(cfg.receiver_port),
        )
        self._launch(receiver)
        self._wait_http(receiver, f"{self.receiver_url}/health", abort)

    def _launch(self, component: Component) -> None:
        self.echo(f"starting {component.name} (log: {component.log_path}) ...")
        self.components.append(component)
        component.start()

    # Health -----------------------------------------------------------------------------
    def _wait(
        self,
        component: Component,
        healthy: Callable[[], bool],
        what: str,
        abort: Callable[[], bool] = lambda: False,
    ) -> None:
        deadline = time.monotonic() + self.config.startup_timeout_s
        started = time.monotonic()
        while time.monotonic() < deadline:
            if abort():
                raise StackError(f"stopped while waiting for {component.name}")
            if not component.alive():
                code = component.process.returncode if component.process else None
                raise StackError(
                    f"{component.name} exited with code {code} before it was {what}; "
                    f"see {component.log_path}\n--- last log lines ---\n{component.log_tail()}"
                )
            if healthy():
                self.timings[component.name] = time.monotonic() - started
                self.echo(f"  {component.name} ready in {self.timings[component.name]:.1f} s")
                return
            time.sleep(0.25)
        raise StackError(
            f"{component.name} was not {what} within {self.config.startup_timeout_s:.0f} s; "
            f"see {component.log_path}\n--- last log lines ---\n{component.log_tail()}"
        )

    def _wait_http(
        self, component: Component, url: str, abort: Callable[[], bool] = lambda: False
    ) -> None:
        def healthy() -> bool:
            try:
                return httpx.get(url, timeout=2.0).status_code == 200
            except httpx.HTTPError:
                return False

        self._wait(component, healthy, f"healthy at {url}", abort)

    def _worker_registered(self) -> bool:
        try:
            response = httpx.post(
                f"{self.api_url}/work_pools/{WORK_POOL_NAME}/workers/filter",
                json={},
                timeout=2.0,
            )
        except httpx.HTTPError:
            return False
        if response.status_code != 200:
            return False
        return any(w.get("name") == self.worker_name for w in response.json())
