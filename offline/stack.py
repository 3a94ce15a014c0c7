"""`make run`: the whole service on 127.0.0.1, stopped as one by Ctrl-C or SIGTERM.

Starts the AWS emulator (moto server), creates the table, queues, topic and staff user pool from
the packaged ``local`` template with one demo user per group, serves the API through the local
gateway (a pool of warm API Lambdas, behind the template's Cognito authorizer) and runs the queue
pump (which also runs the scheduled sweeper). Every part's output goes to this console, one whole
line at a time, prefixed by the part's name. When ready it writes where everything is, and the
demo users' passwords, to a state file (``.local-stack.json``) that tools read; stopping removes it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from offline.console import say
from offline.identity import DemoUser, UserPool, create_demo_users
from offline.processes import SUPERVISOR_PID, PidFile, StackRunning
from offline.provision import ROOT, create_data_stack, load_template, template_path

READY_LINE = "Orders service is running"
STATE_FILE = ROOT / ".local-stack.json"
REGION = "us-east-1"
_STARTUP_SECONDS = 60


class StartupError(RuntimeError):
    """A part of the stack could not start; the message says which and why."""


@dataclass
class Supervisor:
    """Starts the parts as process groups, relays their output, and stops them all.

    Each part is recorded in ``pid_file`` as it starts, so that a later start can stop what
    this one leaves running if it is killed; each part also stops by itself once this process
    is gone (``offline.processes.stop_with_supervisor``).
    """

    parts: dict[str, subprocess.Popen[str]] = field(default_factory=dict)
    verbose: bool = False
    pid_file: PidFile | None = None

    def start(self, name: str, command: list[str], environment: dict[str, str]) -> None:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
            start_new_session=True,  # its own process group, so stop() reaches its children
        )
        self.parts[name] = process
        if self.pid_file is not None:
            try:
                self.pid_file.record(name, process.pid, command)
            except OSError as error:
                reason = error.strerror or error
                raise StartupError(
                    f"cannot record the parts in the pid file {self.pid_file.path}: {reason}"
                ) from error
        threading.Thread(
            target=self._relay, args=(name, process, self.verbose), daemon=True
        ).start()

    def exited(self) -> str | None:
        """The name of a part that has stopped on its own, if any."""
        return next((name for name, p in self.parts.items() if p.poll() is not None), None)

    def stop(self) -> None:
        """Stop the parts in reverse order of start, so none outlives what it depends on."""
        for process in reversed(self.parts.values()):
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            # Children of a part (the gateway's Lambda workers) may outlive their parent.
            _signal_group(process, signal.SIGKILL)
        if self.pid_file is not None:
            self.pid_file.remove()

    @staticmethod
    def _relay(name: str, process: subprocess.Popen[str], verbose: bool) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            metrics = metrics_line(line)
            if metrics is None:
                say(f"[{name}] {line.rstrip()}")
            elif verbose:
                say(f"[metrics] {metrics}")


def metrics_line(line: str) -> str | None:
    """An EMF record in a few words (``OrdersCreated=1 status=received``); None if not one."""
    if not line.startswith('{"') or '"_aws"' not in line:
        return None
    try:
        record = json.loads(line)
        directives = record["_aws"]["CloudWatchMetrics"]
    except (ValueError, KeyError, TypeError):
        return None
    words = []
    for directive in directives:
        for metric in directive["Metrics"]:
            value = record.get(metric["Name"])
            shown = ",".join(map(_number, value)) if isinstance(value, list) else _number(value)
            words.append(f"{metric['Name']}={shown}")
        dimensions = directive["Dimensions"][0] if directive["Dimensions"] else []
        words += [f"{name.lower()}={record.get(name)}" for name in dimensions]
    if isinstance(record.get("orderId"), str):
        words.append(f"order={record['orderId'][:8]}")
    return " ".join(words)


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


def _signal_group(process: subprocess.Popen[str], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def _check_free(ports: dict[str, int]) -> None:
    for role, port in ports.items():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            # As servers do: connections of a stopped server in TIME_WAIT do not block the port.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as error:
                raise StartupError(
                    f"port {port} ({role}) is already in use; stop whatever listens there "
                    f"or choose another port (see `python -m offline --help`)"
                ) from error


def _wait_for_port(port: int, role: str, supervisor: Supervisor) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if (name := supervisor.exited()) is not None:
            raise StartupError(f"the {name} part stopped while starting; see its output above")
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise StartupError(f"the {role} did not listen on port {port} within {_STARTUP_SECONDS} s")


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m offline", description=__doc__)
    parser.add_argument(
        "--emulator-port", type=int, default=int(os.environ.get("EMULATOR_PORT", 4566))
    )
    parser.add_argument("--http-port", type=int, default=int(os.environ.get("API_PORT", 3000)))
    parser.add_argument(
        "--api-workers",
        type=int,
        default=int(os.environ.get("API_WORKERS", 4)),
        help="warm processes serving the API function, as Lambda's concurrency (default: 4)",
    )
    parser.add_argument(
        "--verbose",
        action="store_true",
        default=os.environ.get("VERBOSE", "") not in ("", "0"),
        help="also print the service's JSON log lines and the pump's batches (VERBOSE=1)",
    )
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="seconds before the pump retries a failed record (default: the queue's own, 60)",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=STATE_FILE,
        help="where to write the running stack's URLs, pool and demo users (default: %(default)s)",
    )
    return parser.parse_args(argv)


def _environment(emulator_url: str) -> dict[str, str]:
    venv = ROOT / ".venv"
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": emulator_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "PYTHONUNBUFFERED": "1",
        SUPERVISOR_PID: str(os.getpid()),
        "PYTHONPATH": str(ROOT),
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }


@dataclass(frozen=True)
class Running:
    """What a started stack offers: where it listens, its staff pool and demo users."""

    api_url: str
    emulator_url: str
    pool: UserPool
    demo_users: list[DemoUser]

    def state(self) -> dict[str, Any]:
        """The state file's content, which `make token` and the other tools read."""
        return {
            "apiUrl": self.api_url,
            "emulatorUrl": self.emulator_url,
            "region": REGION,
            "userPoolId": self.pool.pool_id,
            "userPoolClientId": self.pool.client_ids[0],
            "demoUsers": [user.as_json() for user in self.demo_users],
        }


def start(args: argparse.Namespace, supervisor: Supervisor) -> Running:
    """Start every part; return what the running stack offers once the API answers."""
    if supervisor.pid_file is not None:
        _stop_stale_stack(supervisor.pid_file, args.state_file)
    _check_free({"emulator": args.emulator_port, "API": args.http_port})
    template = load_template("local")
    emulator_url = f"http://127.0.0.1:{args.emulator_port}"
    environment = _environment(emulator_url)
    supervisor.start(
        "emulator",
        [sys.executable, "-m", "offline.emulator", "--port", str(args.emulator_port)],
        environment,
    )
    _wait_for_port(args.emulator_port, "emulator", supervisor)
    emulator = boto3.session.Session(
        region_name=REGION, aws_access_key_id="local", aws_secret_access_key="local"
    )
    cognito_idp = emulator.client("cognito-idp", endpoint_url=emulator_url)
    stack = create_data_stack(
        emulator.client("cloudformation", endpoint_url=emulator_url),
        template,
        "orders-local",
        sesv2=emulator.client("sesv2", endpoint_url=emulator_url),
        cognito_idp=cognito_idp,
    )
    pool = _staff_pool(stack.user_pools)
    demo_users = create_demo_users(cognito_idp, pool)
    say(
        f"[stack] created {len(stack.physical_ids)} resources from the local template, "
        f"and {len(demo_users)} demo users"
    )
    verbose = ["--verbose"] if args.verbose else []
    gateway = [sys.executable, "-m", "offline.gateway", "--port", str(args.http_port)]
    gateway += ["--template", str(template_path("local")), "--user-pool-id", pool.pool_id]
    for client_id in pool.client_ids:
        gateway += ["--user-pool-client-id", client_id]
    gateway += ["--workers", str(args.api_workers), *verbose]
    supervisor.start("api", gateway, environment | stack.environment)
    pump = [sys.executable, "-m", "offline.pump", "--queues", json.dumps(stack.physical_ids)]
    if args.visibility_timeout is not None:
        pump += ["--visibility-timeout", str(args.visibility_timeout)]
    supervisor.start("pump", pump + verbose, environment | stack.environment)
    _wait_for_port(args.http_port, "API", supervisor)
    return Running(f"http://127.0.0.1:{args.http_port}", emulator_url, pool, demo_users)


def _stop_stale_stack(pid_file: PidFile, state_file: Path) -> None:
    """Stop what an earlier start of this state file left running (it was killed, say)."""
    try:
        stale = pid_file.stop_stale()
    except StackRunning as running:
        raise StartupError(
            f"a local stack with the state file {_shown_path(state_file)} is already running "
            f"(pid {running.pid}): stop it first (Ctrl-C in its terminal, or kill {running.pid})"
        ) from None
    if stale is None:
        return
    state_file.unlink(missing_ok=True)  # where that stack was, and its users' passwords
    if stale:
        names = [name for name, _ in stale]
        shown = ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else names[0]
        pids = ", ".join(str(pid) for _, pid in stale)
        say(f"[stack] stopped the {shown} (pids {pids}) that an earlier start left running")


def _staff_pool(pools: dict[str, UserPool]) -> UserPool:
    """The one user pool staff sign in to, with its app client."""
    if len(pools) != 1 or not next(iter(pools.values())).client_ids:
        raise StartupError(
            f"the local template declares {len(pools)} user pools ({', '.join(pools)}): the "
            "local stack signs staff in to one, with an app client; run `make package-local`"
        )
    return next(iter(pools.values()))


def write_state(path: Path, state: dict[str, Any]) -> None:
    """Write the state file whole (it holds passwords: readable by this user only)."""
    partial = path.with_name(path.name + ".partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as out:
            json.dump(state, out, ensure_ascii=False, indent=2)
            out.write("\n")
        partial.replace(path)
    except OSError as error:
        raise StartupError(f"cannot write the state file {path}: {error.strerror}") from error


def _banner(running: Running, state_file: Path) -> list[str]:
    body = (
        '{"customer": {"name": "Lucía Fernández", "email": "lucia@example.com"}, '
        '"device": {"type": "laptop", "brand": "Lenovo"}, "issue": "Does not boot."}'
    )
    width = max(len(user.email) for user in running.demo_users)
    staff = [
        f"  {user.email:<{width}}  {user.group:<10}  {user.password}  {user.name}"
        for user in running.demo_users
    ]
    first, pool = running.demo_users[0].email, running.pool
    return [
        "",
        f"{READY_LINE}.",
        f"  API:      {running.api_url}",
        f"  Emulator: {running.emulator_url}  (AWS_ENDPOINT_URL for aws/boto3)",
        f"  Staff:    user pool {pool.pool_id}, app client {pool.client_ids[0]}",
        "Demo staff, one per group (new passwords on every start):",
        *staff,
        f"Sign in as one (prints an ID token; reads {_shown_path(state_file)}):",
        f"  TOKEN=$(make -s token EMAIL={first})",
        f'  curl -s -X POST {running.api_url}/orders -H "Authorization: Bearer $TOKEN" '
        f"-H 'Content-Type: application/json' -d '{body}'",
        "Stop with Ctrl-C.",
        "",
    ]


def _shown_path(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.resolve().relative_to(ROOT))
    return str(path)


def _interrupt(signum: int, frame: object) -> None:
    # Once only: `make` passes its own SIGTERM on to this process, so a SIGTERM to make's
    # process group arrives twice, and a second KeyboardInterrupt raised while stopping would
    # cut the stopping short and leave the parts running.
    for handled in (signal.SIGINT, signal.SIGTERM):
        signal.signal(handled, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    pid_file = PidFile(args.state_file.with_suffix(".pid"))
    supervisor = Supervisor(verbose=args.verbose, pid_file=pid_file)
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    wrote_state = False
    try:
        running = start(args, supervisor)
        write_state(args.state_file, running.state())
        wrote_state = True
        say(*_banner(running, args.state_file))
        while (name := supervisor.exited()) is None:
            time.sleep(0.5)
        raise StartupError(f"the {name} part stopped; stopping the rest")
    except KeyboardInterrupt:
        return 0
    except (StartupError, FileNotFoundError) as error:
        say(f"[stack] {error}", stream=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C or SIGTERM (make and a terminal both send one) must not cut the
        # stopping short and leave parts running.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, signal.SIG_IGN)
        supervisor.stop()
        if wrote_state:
            args.state_file.unlink(missing_ok=True)
        say("[stack] stopped")


if __name__ == "__main__":
    sys.exit(main())
