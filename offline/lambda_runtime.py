"""Lambda's execution model on one machine: a context per invocation and a pool of warm workers.

Each worker is a process of its own that imports the handler once (its cold start) and then runs
one invocation at a time, as a Lambda execution environment does. An invocation that outlives
the function's timeout has its worker killed and replaced, so a late answer can never be taken
for the next request's; a crashed worker is replaced the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from offline.definition import Function

ACCOUNT = "123456789012"
REGION = "us-east-1"
_spawn = multiprocessing.get_context("spawn")  # a clean interpreter, as Lambda starts one


class LambdaContext:
    """The context object Lambda passes to a Python handler, for one invocation."""

    def __init__(self, function: Function, request_id: str | None = None) -> None:
        self.function_name = f"orders-local-{function.name}"
        self.function_version = "$LATEST"
        self.invoked_function_arn = (
            f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function_name}"
        )
        self.memory_limit_in_mb = str(function.memory_mb)
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{self.function_name}"
        self.log_stream_name = time.strftime("%Y/%m/%d") + "/[$LATEST]local"
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + function.timeout_s

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout, counting down from the invocation."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class RequestIdStamp(logging.Filter):
    """Stamps the current invocation's request id on every log record, as the runtime does."""

    def __init__(self) -> None:
        super().__init__()
        self._current = threading.local()  # the pump runs invocations on several threads

    @property
    def request_id(self) -> str | None:
        value: str | None = getattr(self._current, "request_id", None)
        return value

    @request_id.setter
    def request_id(self, value: str | None) -> None:
        self._current.request_id = value

    def filter(self, record: logging.LogRecord) -> bool:
        if self.request_id is not None and not hasattr(record, "requestId"):
            record.requestId = self.request_id
        return True


def load_handler(path: str) -> Callable[[Any, Any], Any]:
    """``module.function`` from serverless.yml's ``handler``, imported."""
    module, _, function = path.rpartition(".")
    handler: Callable[[Any, Any], Any] = getattr(importlib.import_module(module), function)
    return handler


def quiet_service_logs(verbose: bool) -> RequestIdStamp:
    """Keep the service's INFO lines for ``verbose`` only; stamp request ids on what remains."""
    stamp = RequestIdStamp()
    service = logging.getLogger("orders")
    for handler in service.handlers or logging.getLogger().handlers:
        handler.addFilter(stamp)
        # The handlers, not the logger: INFO records are still made, for whatever reads them
        # on the console (the pump's [mail] and [sms] lines).
        if not verbose:
            handler.setLevel(logging.WARNING)
    return stamp


def _serve(connection: Connection, function: Function, verbose: bool) -> None:
    """A worker's life: import the handler, say so, then run one invocation per message."""
    handler = load_handler(function.handler)
    stamp = quiet_service_logs(verbose)
    connection.send(("ready", None))
    while True:
        try:
            message = connection.recv()
        except EOFError:  # the pool went away
            return
        if message is None:
            return
        event, request_id = message
        context = LambdaContext(function, request_id)
        stamp.request_id = request_id
        try:
            outcome = ("result", handler(event, context))
        except Exception as error:  # Lambda reports it and keeps the environment warm
            logging.getLogger("offline.lambda").exception(
                "handler raised", extra={"requestId": request_id}
            )
            outcome = ("error", f"{type(error).__name__}: {error}")
        finally:
            stamp.request_id = None
        connection.send(outcome)


class InvocationFailed(Exception):
    """The function did not return a result: it raised, timed out or its process died."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class _Worker:
    """One warm process and the pipe to it."""

    def __init__(self, function: Function, verbose: bool) -> None:
        self._connection, child = _spawn.Pipe()
        self.process = _spawn.Process(
            target=_serve, args=(child, function, verbose), daemon=True, name=function.name
        )
        self.process.start()
        child.close()

    def wait_ready(self, timeout: float) -> bool:
        if not self._connection.poll(timeout):
            return False
        try:
            return bool(self._connection.recv()[0] == "ready")
        except EOFError:
            return False

    def invoke(self, event: Any, request_id: str, timeout: float) -> Any:
        try:
            self._connection.send((event, request_id))
        except OSError as error:
            raise InvocationFailed("the function's process exited") from error
        if not self._connection.poll(timeout):
            raise InvocationFailed(f"Task timed out after {timeout:.2f} seconds")
        try:
            kind, value = self._connection.recv()
        except EOFError as error:
            raise InvocationFailed("the function's process exited") from error
        if kind == "error":
            raise InvocationFailed(str(value))
        return value

    def stop(self) -> None:
        with contextlib.suppress(OSError, BrokenPipeError):
            self._connection.send(None)
        self.process.join(timeout=1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()

    def kill(self) -> None:
        self.process.kill()
        self.process.join()
        self._connection.close()


@dataclass
class Saturated(Exception):
    """No worker became free within the wait: the caller answers 503 rather than wait forever."""

    waited_s: float


class WorkerPool:
    """A fixed number of warm workers for one function; invocations wait for a free one."""

    def __init__(self, function: Function, size: int, verbose: bool = False) -> None:
        self.function = function
        self.size = size
        self._verbose = verbose
        # Last in, first out: the warmest worker takes the next request, as Lambda reuses the
        # environment it used last; the others stay idle until concurrency needs them.
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()

    def start(self, timeout: float = 60) -> None:
        """Start every worker and wait until each has imported the handler."""
        workers = [_Worker(self.function, self._verbose) for _ in range(self.size)]
        for worker in workers:
            if not worker.wait_ready(timeout):
                raise RuntimeError(f"a worker of {self.function.name} did not start")
            self._add(worker)

    @property
    def idle_workers(self) -> int:
        """How many workers wait for an invocation now."""
        return self._idle.qsize()

    def invoke(self, event: Any, request_id: str, wait_s: float) -> Any:
        """The handler's result; ``Saturated`` if no worker was free within ``wait_s``."""
        started = time.monotonic()
        try:
            worker = self._idle.get(timeout=wait_s)
        except queue.Empty:
            raise Saturated(time.monotonic() - started) from None
        try:
            result = worker.invoke(event, request_id, self.function.timeout_s)
        except InvocationFailed as failure:
            if failure.__cause__ is not None or failure.reason.startswith("Task timed out"):
                self._replace(worker)  # a late answer must never reach another request
            else:
                self._idle.put(worker)
            raise
        self._idle.put(worker)
        return result

    def stop(self) -> None:
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()

    def _add(self, worker: _Worker) -> None:
        with self._lock:
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()

        def start_another() -> None:
            fresh = _Worker(self.function, self._verbose)
            if fresh.wait_ready(60):
                self._add(fresh)
            else:
                fresh.kill()
                threading.Timer(1, start_another).start()

        threading.Thread(target=start_another, daemon=True).start()
