"""Run `zeikan` and kill it with SIGKILL at a chosen point of our own code: no hooks in production code.

A kill point names a function of ours (`tasks.store:add_figures`), an event (`call`, `return`, or `line`
with the start of a source line in that function) and which occurrence (`nth`). The runner installs a
trace function (`sys.settrace`, and `threading.settrace` for the download threads) that looks only at that
function's code object; the nth time the event happens there, it notes the point in a file and sends
itself SIGKILL, which no handler, `finally` or atexit can soften.

Two ways to use it:

    python -m tests.robustness.crash_runner --kill-at tasks.store:add_figures:return:2 \\
        --report killed.txt -- run --period 2026-05 --source zeikan/sample --as-of 2026-07-01

runs one command and dies at the point. `python -m tests.robustness.crash_runner serve` is what the tests
use to stay fast: it imports zeikan, Prefect, pandas and DuckDB once, then for each JSON request on stdin
forks a child that runs one command (and dies, if the request names a kill point) and answers with how the
child ended. A forked child is a process of its own, so SIGKILL ends it exactly as `kill -9` ends a run;
only the import time is saved. The parent never runs a flow itself, so no Prefect threads exist to fork.

The runner also notes the id of every Prefect concurrency lease it takes (by watching Prefect's own
acquire function return): a run killed while holding the warehouse writer slot leaves its lease behind,
which the server would only reclaim when it expires, so the tests hand it back at once.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import inspect
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from types import CodeType, FrameType
from typing import Any

REPO = Path(__file__).resolve().parents[2]
LEASE_ACQUIRE = "prefect.concurrency._sync:acquire_concurrency_slots_with_lease"


@dataclass(frozen=True)
class KillPoint:
    """Where to die: the `nth` `event` of `target` (`module:qualname`); for `line`, the first line of the
    function whose stripped text starts with `line`; `when` = (local name, suffix) narrows a `line` event
    to frames whose local variable ends with the suffix (e.g. the serving DuckDB file among many)."""

    target: str
    event: str
    nth: int = 1
    line: str | None = None
    when: tuple[str, str] | None = None

    @classmethod
    def parse(cls, text: str) -> KillPoint:
        """`module:qualname:event:nth` (`line` events need the JSON form)."""
        module, qualname, event, nth = text.split(":")
        return cls(f"{module}:{qualname}", event, int(nth))

    def describe(self) -> str:
        where = f" {self.line!r}" if self.line else ""
        when = f" where {self.when[0]} ends with {self.when[1]!r}" if self.when else ""
        return f"{self.target} {self.event}{where}{when} #{self.nth}"


def resolve(target: str) -> Callable[..., Any]:
    """The plain function behind `module:qualname` (unwrapping Prefect tasks and decorators)."""
    module_name, qualname = target.split(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    while True:
        if hasattr(found, "fn") and callable(found.fn):  # a Prefect task or flow
            found = found.fn
        elif hasattr(found, "__wrapped__"):  # contextmanager, functools.wraps
            found = found.__wrapped__
        else:
            return found


def code_of(target: str) -> CodeType:
    return resolve(target).__code__


def line_numbers(target: str, text: str) -> set[int]:
    """The line numbers in `target`'s source whose stripped text starts with `text` (exactly one)."""
    lines, first = inspect.getsourcelines(resolve(target))
    found = {first + i for i, line in enumerate(lines) if line.strip().startswith(text)}
    if len(found) != 1:
        raise ValueError(f"{text!r} matches {len(found)} lines of {target}, not one")
    return found


def die(point: KillPoint, report: Path | None) -> None:
    """Note where, then SIGKILL this process (the note goes straight to the file descriptor)."""
    if report is not None:
        fd = os.open(report, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.write(fd, f"killed at {point.describe()}\n".encode())
        os.close(fd)
    os.kill(os.getpid(), signal.SIGKILL)


def install(point: KillPoint | None, report: Path | None, leases: Path | None) -> None:
    """Start tracing this thread and every thread started from now on."""
    handlers: dict[CodeType, Callable[[FrameType, str, Any], Any]] = {}
    lock = threading.Lock()
    seen = [0]

    def reached(frame: FrameType) -> None:
        if point is not None and point.when is not None:
            name, suffix = point.when
            if not str(frame.f_locals.get(name, "")).endswith(suffix):
                return
        with lock:
            seen[0] += 1
            if seen[0] == point.nth:
                die(point, report)

    if point is not None:
        code = code_of(point.target)
        if point.event == "call":

            def on_call(frame: FrameType, event: str, arg: Any) -> None:
                if event == "call":
                    reached(frame)

            handlers[code] = on_call
        elif point.event == "return":

            def on_return(frame: FrameType, event: str, arg: Any) -> Any:
                if event == "return":
                    reached(frame)
                return on_return

            handlers[code] = on_return
        elif point.event == "line":
            if point.line is None:
                raise ValueError("a line kill point needs the line's text")
            wanted = line_numbers(point.target, point.line)

            def on_line(frame: FrameType, event: str, arg: Any) -> Any:
                if event == "line" and frame.f_lineno in wanted:
                    reached(frame)
                return on_line

            handlers[code] = on_line
        else:
            raise ValueError(f"unknown event {point.event!r}")

    if leases is not None:

        def on_lease(frame: FrameType, event: str, arg: Any) -> Any:
            if event == "return" and getattr(arg, "lease_id", None) is not None:
                with leases.open("a") as out:
                    out.write(f"{arg.lease_id}\n")
            return on_lease

        handlers[code_of(LEASE_ACQUIRE)] = on_lease

    def tracer(frame: FrameType, event: str, arg: Any) -> Any:
        handler = handlers.get(frame.f_code)
        return None if handler is None else handler(frame, event, arg)

    threading.settrace(tracer)
    sys.settrace(tracer)


def run_cli(args: list[str]) -> int:
    """Run `zeikan ARGS` in this process; returns its exit status."""
    from zeikan.cli import app

    try:
        app(args, prog_name="zeikan")
    except SystemExit as stop:
        code = stop.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0


def warm_up() -> None:
    """Import everything a run uses, so forked children start at once and trace the same code objects."""
    import duckdb  # noqa: F401
    import matplotlib.backends.backend_agg  # noqa: F401
    import prefect.concurrency._sync  # noqa: F401

    import flows.backfill
    import flows.monthly_release  # noqa: F401
    import zeikan.cli  # noqa: F401


@dataclass(frozen=True)
class Request:
    """One command for the fork server: where to run it, with which extra environment, and where to die."""

    args: list[str]
    cwd: str
    env: dict[str, str]
    stdout: str
    stderr: str
    kill: dict[str, Any] | None = None
    report: str | None = None
    leases: str | None = None


@dataclass(frozen=True)
class Ended:
    """How a child ended: `signal` if it was killed, else its `exit` status; and how long it ran."""

    pid: int
    exit: int | None
    signal: int | None
    seconds: float


def child(request: Request) -> None:
    """In the forked child: run the command as asked, never returning."""
    code = 1
    try:
        os.chdir(request.cwd)
        os.environ.update(request.env)
        for fd, path in ((1, request.stdout), (2, request.stderr)):
            target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(target, fd)
            os.close(target)
        point = None
        if request.kill is not None:
            fields = dict(request.kill)
            if fields.get("when") is not None:
                fields["when"] = tuple(fields["when"])
            point = KillPoint(**fields)
        install(
            point,
            Path(request.report) if request.report else None,
            Path(request.leases) if request.leases else None,
        )
        code = run_cli(request.args)
    except BaseException as exc:  # report anything, then leave without running the parent's cleanup
        with contextlib.suppress(Exception):
            print(f"crash_runner: {type(exc).__name__}: {exc}", file=sys.stderr)
    finally:
        sys.settrace(None)
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def serve() -> None:
    """Answer requests (one JSON object a line on stdin) with how each forked child ended."""
    warm_up()
    print("ready", flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        request = Request(**json.loads(line))
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:
            child(request)
        _, status = os.waitpid(pid, 0)
        ended = Ended(
            pid,
            os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            round(time.monotonic() - started, 3),
        )
        print(json.dumps(asdict(ended)), flush=True)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "serve":
        serve()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill-at", help="module:qualname:event:nth (event: call or return)")
    parser.add_argument("--report", type=Path, help="file that names the point when the run is killed")
    parser.add_argument("--leases", type=Path, help="file that collects the concurrency leases taken")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then the zeikan command line")
    options = parser.parse_args()
    warm_up()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    install(KillPoint.parse(options.kill_at) if options.kill_at else None, options.report, options.leases)
    sys.exit(run_cli(args))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
