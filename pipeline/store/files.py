"""The published site on disk: atomic writes, and one lock that serialises listing rebuilds."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from pipeline.errors import TransientError


class SiteFiles:
    """Files are replaced by rename, so a reader never sees half a page or half a feed."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, relative_path: str, content: str | bytes) -> Path:
        target = self.path(relative_path)
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=target.suffix)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def read(self, relative_path: str) -> bytes | None:
        try:
            return self.path(relative_path).read_bytes()
        except FileNotFoundError:
            return None

    def path(self, relative_path: str) -> Path:
        target = (self.root / relative_path.lstrip("/")).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise ValueError(f"path escapes the site: {relative_path!r}")
        return target

    @contextmanager
    def listing_lock(self, timeout: float = 60.0) -> Iterator[None]:
        """Rebuilds read the database and write files under this lock: none undoes a newer one."""
        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / ".listing.lock"), timeout=timeout)
        try:
            lock.acquire()
        except Timeout:
            raise TransientError("the site listing lock is busy") from None
        try:
            yield
        finally:
            lock.release()
