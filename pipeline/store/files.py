"""The published site on disk: every file replaced whole, by rename."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


class SiteFiles:
    """Files are replaced by rename, so a reader never sees half a page or half a feed.

    No fsync: these are views, and the database they are rebuilt from is what must survive.
    """

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
            os.chmod(temporary, 0o644)
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return target

    def remove(self, relative_path: str) -> bool:
        """Delete a file readers should no longer get; False when it was not there."""
        try:
            self.path(relative_path).unlink()
        except FileNotFoundError:
            return False
        return True

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

    @property
    def state_dir(self) -> Path:
        """Beside the site, not in it: the rebuild state and locks are not for readers."""
        return self.root.parent / f"{self.root.name}-state"
