"""`make run`: the whole service on 127.0.0.1, stopped as one by Ctrl-C or SIGTERM.

Starts the AWS emulator (moto server), creates the table, queues and topic from the packaged
``local`` template, serves the API with serverless-offline and runs the queue pump. Every part's
output goes to this console, prefixed by the part's name.
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

import boto3

from offline.provision import ROOT, create_data_stack, load_template

DEFAULT_API_KEY = "local-dev-key-0123456789"
READY_LINE = "Orders service is running"
_STARTUP_SECONDS = 60


class StartupError(RuntimeError):
    """A part of the stack could not start; the message says which and why."""


@dataclass
class Supervisor:
    """Starts the parts as process groups, relays their output, and stops them all."""

    parts: dict[str, subprocess.Popen[str]] = field(default_factory=dict)

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
        threading.Thread(target=self._relay, args=(name, process), daemon=True).start()

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
            # Children of a part (serverless-offline's Python runners) may outlive their parent.
            _signal_group(process, signal.SIGKILL)

    @staticmethod
    def _relay(name: str, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            print(f"[{name}] {line.rstrip()}", flush=True)


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
    parser.add_argument("--lambda-port", type=int, default=int(os.environ.get("LAMBDA_PORT", 3002)))
    parser.add_argument(
        "--visibility-timeout",
        type=int,
        default=None,
        help="seconds before the pump retries a failed record (default: the queue's own, 60)",
    )
    return parser.parse_args(argv)


def _environment(emulator_url: str) -> dict[str, str]:
    venv = ROOT / ".venv"
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": emulator_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(ROOT),
        # serverless-offline runs Python handlers with the interpreter of $VIRTUAL_ENV.
        "VIRTUAL_ENV": str(venv),
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
    }


def start(args: argparse.Namespace, supervisor: Supervisor) -> str:
    """Start every part; return the API's URL once it answers."""
    _check_free(
        {"emulator": args.emulator_port, "API": args.http_port, "Lambda runner": args.lambda_port}
    )
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
        region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )
    stack = create_data_stack(
        emulator.client("cloudformation", endpoint_url=emulator_url),
        template,
        "orders-local",
        sesv2=emulator.client("sesv2", endpoint_url=emulator_url),
    )
    print(
        f"[stack] created {len(stack.physical_ids)} resources from the local template", flush=True
    )
    supervisor.start(
        "api",
        [
            str(ROOT / "node_modules" / ".bin" / "sls"),
            "offline",
            "--stage",
            "local",
            "--host",
            "127.0.0.1",
            "--httpPort",
            str(args.http_port),
            "--lambdaPort",
            str(args.lambda_port),
        ],
        environment,
    )
    pump = [sys.executable, "-m", "offline.pump", "--queues", json.dumps(stack.physical_ids)]
    if args.visibility_timeout is not None:
        pump += ["--visibility-timeout", str(args.visibility_timeout)]
    supervisor.start("pump", pump, environment | stack.environment)
    _wait_for_port(args.http_port, "API", supervisor)
    return f"http://127.0.0.1:{args.http_port}"


def _banner(api_url: str, emulator_port: int) -> str:
    key = os.environ.get("ORDERS_API_KEY", DEFAULT_API_KEY)
    body = (
        '{"customer": {"name": "Lucía Fernández", "email": "lucia@example.com"}, '
        '"device": {"type": "laptop", "brand": "Lenovo"}, "issue": "Does not boot."}'
    )
    return "\n".join(
        [
            "",
            f"{READY_LINE}.",
            f"  API:      {api_url}",
            f"  API key:  {key}",
            f"  Emulator: http://127.0.0.1:{emulator_port}  (AWS_ENDPOINT_URL for aws/boto3)",
            "Try:",
            f"  curl -s -X POST {api_url}/orders -H 'x-api-key: {key}' "
            f"-H 'Content-Type: application/json' -d '{body}'",
            "Stop with Ctrl-C.",
            "",
        ]
    )


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    supervisor = Supervisor()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, _interrupt)
    try:
        api_url = start(args, supervisor)
        print(_banner(api_url, args.emulator_port), flush=True)
        while (name := supervisor.exited()) is None:
            time.sleep(0.5)
        raise StartupError(f"the {name} part stopped; stopping the rest")
    except KeyboardInterrupt:
        return 0
    except (StartupError, FileNotFoundError) as error:
        print(f"[stack] {error}", file=sys.stderr, flush=True)
        return 1
    finally:
        supervisor.stop()
        print("[stack] stopped", flush=True)


if __name__ == "__main__":
    sys.exit(main())
