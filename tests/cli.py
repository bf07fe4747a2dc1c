"""The `nashr` command as operators run it, for the tests: a real process in a data dir of its
own, and `nashr up` started and stopped with every process it started."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.services import ROOT

NASHR = shutil.which("nashr", path=str(Path(sys.executable).parent)) or shutil.which("nashr")
SEED_FILE = ROOT / "examples" / "seed-article.json"


def env_for(data_dir: Path, **extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("NASHR_")}
    return base | {"NASHR_DATA_DIR": str(data_dir)} | extra


def nashr(data_dir: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    assert NASHR is not None, "the nashr console script is not installed"
    return subprocess.run(
        [NASHR, *args],
        env=env_for(data_dir, **extra),
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, (result.returncode, result.stdout, result.stderr)
    return result.stdout.splitlines()


def create_token(data_dir: Path, name: str, role: str = "editor") -> str:
    return ok(nashr(data_dir, "token", "create", "--name", name, "--role", role))[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def process_table() -> dict[int, tuple[int, str, str]]:
    """pid -> (parent pid, state, start time) for every process, from /proc."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), fields[0], fields[19])
    return table


def descendants(pid: int) -> dict[int, str]:
    """Every process below `pid`, with its start time (so a reused pid is not mistaken)."""
    table = process_table()
    found: dict[int, str] = {}
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, _, started) in table.items():
            if ppid == parent and child not in found:
                found[child] = started
                frontier.append(child)
    return found


def stacks_of(pid: int) -> str:
    """Where a process that will not exit is waiting (py-spy, a dev dependency), to say so."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        return "(py-spy not installed)"
    dumped = subprocess.run(
        [str(spy), "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30
    )
    return (dumped.stdout + dumped.stderr)[-6000:]


def lingering(pids: list[int]) -> str:
    """Each process still running: its command line and where it waits."""
    described = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        described.append(f"pid {pid}: {command}\n{stacks_of(pid)}")
    return "\n".join(described)


def still_running(processes: dict[int, str]) -> list[int]:
    table = process_table()
    return [
        pid
        for pid, started in processes.items()
        if pid in table and table[pid][2] == started and table[pid][1] != "Z"
    ]


@contextmanager
def nashr_up_running(
    data_dir: Path, *args: str
) -> Iterator[tuple[subprocess.Popen[str], str, Path]]:
    """`nashr up --port P ARGS` in its own session, logging to a file; on the way out, Ctrl-C,
    then SIGKILL for anything it left behind. Yields the process, its base URL and its log."""
    assert NASHR is not None, "the nashr console script is not installed"
    port = free_port()
    log = data_dir / "nashr-up.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [NASHR, "up", "--port", str(port), *args],
            env=env_for(data_dir),
            cwd=data_dir,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    seen: dict[int, str] = {}
    try:
        yield process, f"http://127.0.0.1:{port}", log
    finally:
        seen |= descendants(process.pid)
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for pid in still_running(seen):
            os.kill(pid, signal.SIGKILL)
