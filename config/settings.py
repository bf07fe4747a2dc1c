"""Typed settings, prefix NASHR_: the only place that reads the environment."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")
BROKER_SCHEMES = ("amqp", "pyamqp", "redis", "rediss", "filesystem", "memory")


class Settings(BaseSettings):
    """Everything nashr can be told; with none of it set, it runs on one machine."""

    model_config = SettingsConfigDict(env_prefix="NASHR_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str | None = None
    broker_url: str | None = None
    queue_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$", max_length=40)
    site_url: str = "http://127.0.0.1:8000"
    site_name: str = "نشر"
    environment: Literal["development", "production"] = "development"

    worker_concurrency: int = Field(default=2, ge=1, le=64)
    task_max_retries: int = Field(default=5, ge=0, le=50)
    task_time_limit_seconds: int = Field(default=120, ge=5)
    stuck_after_seconds: float = Field(default=60.0, gt=0)
    sweep_interval_seconds: float = Field(default=10.0, gt=0)
    refresh_interval_seconds: float = Field(default=3600.0, gt=0)

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    max_body_bytes: int = Field(default=200_000, ge=1)
    feed_size: int = Field(default=50, ge=1, le=500)
    ticker_size: int = Field(default=20, ge=1, le=200)
    home_size: int = Field(default=30, ge=1, le=500)
    tag_size: int = Field(default=20, ge=1, le=500)
    image_report_threshold: int = Field(default=3, ge=1)

    token: SecretStr | None = None
    """The caller's API token, for `nashr submit`."""
    api_url: str | None = None
    """Where `nashr submit` finds the API; defaults to site_url."""

    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in DATABASE_SCHEMES:
            raise ValueError(f"database URL must start with one of {', '.join(DATABASE_SCHEMES)}")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        if value is not None and urlsplit(value).scheme not in BROKER_SCHEMES:
            raise ValueError(f"broker URL must start with one of {', '.join(BROKER_SCHEMES)}")
        return value

    @field_validator("site_url")
    @classmethod
    def _http_site(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("site URL must be an absolute http(s) URL")
        return value.rstrip("/")

    @property
    def database(self) -> str:
        """The SQLAlchemy URL: PostgreSQL through psycopg 3, SQLite in the data dir by default."""
        if self.database_url is None:
            return f"sqlite:///{(self.data_dir / 'nashr.sqlite').resolve()}"
        scheme, rest = self.database_url.split(":", 1)
        if scheme in ("postgresql", "postgres"):
            return f"postgresql+psycopg:{rest}"
        return self.database_url

    @property
    def broker(self) -> str:
        return self.broker_url or "filesystem://"

    @property
    def embedded_broker(self) -> bool:
        return self.broker.startswith("filesystem://")

    @property
    def broker_dir(self) -> Path:
        return (self.data_dir / "broker").resolve()

    @property
    def site_dir(self) -> Path:
        return (self.data_dir / "site").resolve()

    def queue(self, name: str) -> str:
        """Queue names carry the prefix so two deployments share a broker without crossing."""
        return f"{self.queue_prefix}-{name}" if self.queue_prefix else name


def redact(url: str) -> str:
    """A URL fit for logs and errors: the password never leaves the settings."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = f"{parts.username}:***@" if parts.username else "***@"
    return urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))


@cache
def get_settings() -> Settings:
    return Settings()
