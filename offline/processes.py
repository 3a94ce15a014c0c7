"""The local stack's processes: each part ends with its supervisor, and a pid file finds them.

A part (emulator, gateway, pump) watches the supervisor that started it and stops itself, as
Ctrl-C would stop it, once that process is gone, even killed with SIGKILL: nothing is left
holding the ports. The supervisor also records itself and its parts in a pid file beside the
state file; a later start reads it and stops what an earlier one left running. A recorded
process counts as the stack's only while its start time and command line are still the
recorded ones: a pid the system has since given to another process is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

# Set by the supervisor in each part's environment: the pid the part outlives by no more than
# a moment.
SUPERVISOR_PID = "OFFLINE_SUPERVISOR_PID"
_WATCH_EVERY_S = 0.5
_STOP_WITHIN_S = 5.0


def stop_with_supervisor() -> None:
    """Send this process's main thread SIGTERM once the supervisor named in its environment
    has gone.

    Its parent changes when the supervisor dies (the orphan is adopted by another process),
    so the watch needs no help from the supervisor, which may have had no chance to give any.
    Started by hand, with no supervisor named, a part watches nothing.
    """
    supervisor = os.environ.get(SUPERVISOR_PID, "")
    if not supervisor.isdigit():
        return

    main = threading.main_thread().ident
    assert main is not None

    def watch() -> None:
        while os.getppid() == int(supervisor):
            time.sleep(_WATCH_EVERY_S)
        # The part's own stop, as on SIGTERM. To the main thread, which runs Python's signal
        # handlers: one sent to the process may reach another thread and leave the main one
        # asleep in its wait (as after SIGSTOP and SIGCONT).
        signal.pthread_kill(main, signal.SIGTERM)

    threading.Thread(target=watch, name="supervisor-watch", daemon=True).start()


class Identity(NamedTuple):
    """What tells one process from a later one given the same pid: its start and command line."""

    started: str
    command: str


def identity(pid: int) -> Identity | None:
    """The running process ``pid``'s identity; ``None`` if there is none (or only a zombie)."""
    try:
        shown = subprocess.run(
            ["ps", "-ww", "-o", "stat=", "-o", "lstart=", "-o", "args=", "-p", str(pid)],
            capture_output=True,
            text=True,
            env={**os.environ, "LC_ALL": "C"},  # lstart as "Fri Dec  4 16:06:31 2026"
            check=False,
        ).stdout.split(maxsplit=6)
    except FileNotFoundError:
        raise FileNotFoundError(
            "`ps` is missing: the local stack uses it to tell its own processes from others' "
            "(install procps)"
        ) from None
    if len(shown) < 7 or shown[0].startswith("Z"):
        return None
    return Identity(" ".join(shown[1:6]), shown[6].strip())


class StackRunning(Exception):
    """The pid file's supervisor is running: that stack is not stale, it is in use."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        super().__init__(f"a stack's supervisor is running (pid {pid})")


class PidFile:
    """The supervisor's and its parts' pids and identities, as JSON at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._supervisor: dict[str, Any] | None = None
        self._parts: dict[str, dict[str, Any]] = {}

    def record(self, name: str, pid: int, command: Sequence[str]) -> None:
        """Add a part just started with ``command``, and write the file whole.

        Its command line is the one it was started with, not the one shown now: a process
        just forked may not have run its command yet.
        """
        if self._supervisor is None:
            supervisor = identity(os.getpid())
            assert supervisor is not None  # this very process
            self._supervisor = {"pid": os.getpid(), **supervisor._asdict()}
        started = identity(pid)
        if started is None:
            return  # it has already exited; the supervisor notices and stops
        self._parts[name] = {"pid": pid, "started": started.started, "command": " ".join(command)}
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_text(json.dumps({"supervisor": self._supervisor, "parts": self._parts}))
        partial.replace(self.path)

    def remove(self) -> None:
        """Forget the stack: only the supervisor that wrote the file removes it."""
        if self._supervisor is not None:
            self.path.unlink(missing_ok=True)

    def stop_stale(self) -> list[tuple[str, int]] | None:
        """Stop the parts an earlier supervisor left running; their names and pids (``None``
        when no earlier supervisor left a file).

        Raises ``StackRunning`` when that supervisor still runs. A recorded process that is no
        longer the one recorded is left alone; the file is removed once read.
        """
        try:
            recorded = json.loads(self.path.read_text())
            supervisor = _recorded(recorded["supervisor"])
            parts = {name: _recorded(part) for name, part in recorded["parts"].items()}
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.path.unlink(missing_ok=True)  # not one this supervisor writes: nothing to trust
            return []
        if identity(supervisor[0]) == supervisor[1]:
            raise StackRunning(supervisor[0])
        running = [(name, pid) for name, (pid, ours) in parts.items() if identity(pid) == ours]
        _stop_parts([parts[name] for name, _ in reversed(running)])
        self.path.unlink(missing_ok=True)
        return running


def _recorded(entry: dict[str, Any]) -> tuple[int, Identity]:
    pid = entry["pid"]
    if type(pid) is not int or pid <= 1:
        raise TypeError("a pid is a whole number above 1")
    return pid, Identity(str(entry["started"]), str(entry["command"]))


def _stop_parts(parts: list[tuple[int, Identity]]) -> None:
    """Stop parts and their children (each its own process group, as the supervisor started
    them): all asked at once, then each killed if it has not stopped within a few seconds."""
    groups = {pid: pid if _group_of(pid) == pid else None for pid, _ in parts}

    def send(pid: int, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if groups[pid] is not None:
                os.killpg(pid, signum)
            else:
                os.kill(pid, signum)

    for pid, _ in parts:
        send(pid, signal.SIGTERM)
        send(pid, signal.SIGCONT)  # a stopped process acts on SIGTERM only once continued
    for pid, ours in parts:
        if not _exits(pid, ours, within=_STOP_WITHIN_S):
            send(pid, signal.SIGKILL)
            _exits(pid, ours, within=_STOP_WITHIN_S)
        # Its children (the gateway's Lambda workers) may outlive it; the group still names
        # only them, since a pid still used as a group id is not given to a new process.
        if groups[pid] is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def _exits(pid: int, ours: Identity, within: float) -> bool:
    """Whether the process is gone (its ports free) within ``within`` seconds.

    An exiting process shows no command line before it closes its sockets: it is gone only
    once no process of its start time has its pid, or a zombie does.
    """
    deadline = time.monotonic() + within
    while (now := identity(pid)) is not None and now.started == ours.started:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def _group_of(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except (ProcessLookupError, PermissionError):
        return None
