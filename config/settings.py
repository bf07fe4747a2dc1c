"""Typed settings, prefix NASHR_: the only place that reads the environment."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DATABASE_SCHEMES = ("sqlite", "postgresql", "postgresql+psycopg", "postgres")
BROKER_SCHEMES = ("amqp", "pyamqp", "redis", "rediss", "filesystem", "memory")


class Settings(BaseSettings):
    """Everything nashr can be told; with none of it set, it runs on one machine."""

    model_config = SettingsConfigDict(
        env_prefix="NASHR_", extra="ignore", hide_input_in_errors=True
    )
    """Errors name the variable and the rule, never the value: a URL's password stays out."""

    data_dir: Path = Path("var")
    database_url: str | None = None
    broker_url: str | None = None
    queue_prefix: str = Field(default="", pattern=r"^[A-Za-z0-9_-]*$", max_length=40)
    site_url: str = "http://127.0.0.1:8000"
    site_name: str = "نشر"
    timezone: str = Field(default="Africa/Casablanca", max_length=64)
    """Where readers are: pages show dates in its local time, in Arabic."""
    websub_hub: str | None = None
    """A WebSub hub told whenever a site feed changes; none by default."""
    environment: Literal["development", "production"] = "development"

    worker_concurrency: int = Field(default=2, ge=1, le=64)
    task_max_retries: int = Field(default=5, ge=0, le=50)
    stuck_after_seconds: float = Field(default=60.0, gt=0)
    sweep_interval_seconds: float = Field(default=10.0, gt=0)
    refresh_interval_seconds: float = Field(default=3600.0, gt=0)

    max_request_bytes: int = Field(default=1_048_576, ge=1024)
    request_body_timeout_seconds: float = Field(default=60.0, gt=0)
    """A request body must be whole this long after the API starts reading it, or 408."""
    max_body_bytes: int = Field(default=200_000, ge=1)
    feed_size: int = Field(default=50, ge=1, le=500)
    ticker_size: int = Field(default=20, ge=1, le=200)
    home_size: int = Field(default=30, ge=1, le=500)
    tag_size: int = Field(default=20, ge=1, le=500)
    listing_gap_seconds: float = Field(default=0.25, ge=0.0, le=60.0)
    """At least this long between two rebuilds of the site's listings: one covers every
    article published meanwhile (breaking news does not wait for it)."""
    feed_entry_max_bytes: int = Field(default=20_000, ge=1_000, le=10_000_000)
    """A feed entry carries the whole article up to this size, past it its summary and a link."""
    section_threshold: float = Field(default=0.4, ge=0.0, le=1.0)
    """Below this confidence the enrich step files an article under `general`."""
    image_report_threshold: int = Field(default=3, ge=1)
    report_rate: int = Field(default=10, ge=1, le=10_000)
    """Image reports one client address may send per minute (the public endpoint's limit)."""
    search_rate: int = Field(default=60, ge=1, le=100_000)
    """Searches one client address may make per minute (`/search` and `/search.json`)."""

    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """A connection must finish sending its request headers this long after it opens."""
    max_connections: int = Field(default=4096, ge=16)
    """Open connections one API process serves at once; past it, 503 (and the open-file limit
    less a reserve caps it too)."""
    max_connections_per_address: int = Field(default=256, ge=0)
    """Connections one client address may hold open at once (0: no cap; behind nginx, whose
    `limit_conn` counts readers, the API sees only nginx's address)."""
    max_streams: int = Field(default=1000, ge=1)
    """Live ticker streams one API process keeps open at once."""
    max_streams_per_address: int = Field(default=8, ge=1)
    """Live ticker streams one reader (address) may hold open at once."""
    token_cache_seconds: float = Field(default=60.0, ge=0, le=3600)
    """How long an API process remembers an editor token it found valid, so `POST /articles`
    skips the lookup (0: never); the accept statement checks the token again regardless."""

    token: SecretStr | None = None
    """The caller's API token, for `nashr submit`."""
    api_url: str | None = None
    """Where `nashr submit` finds the API; defaults to site_url."""

    sources_allow_private: str = Field(default="", max_length=2000)
    """Feeds on private, loopback or link-local addresses may be fetched: "" (none: the
    default), "all", or a comma-separated list of networks such as `127.0.0.0/8`."""
    sources_idle_hours: float = Field(default=24.0, gt=0, le=24 * 366)
    """A source with no new item for this long is `idle` (shown, measured and alerted on)."""

    task_events: bool = True
    """Workers send Celery task events: /metrics' task figures and Flower's task list need them."""

    log_format: Literal["text", "json"] = "text"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is not None:
            _check_url(value, DATABASE_SCHEMES, "database")
        return value

    @field_validator("broker_url")
    @classmethod
    def _known_broker(cls, value: str | None) -> str | None:
        if value is not None:
            _check_url(value, BROKER_SCHEMES, "broker")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("unknown time zone (an IANA name such as Africa/Casablanca)") from exc
        return value

    @field_validator("websub_hub")
    @classmethod
    def _http_hub(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError("WebSub hub must be an absolute http(s) URL")
        return value or None

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

    def queue(self, name: str) -> str:
        """Queue names carry the prefix so two deployments share a broker without crossing."""
        return f"{self.queue_prefix}-{name}" if self.queue_prefix else name


def _check_url(url: str, schemes: tuple[str, ...], what: str) -> None:
    """Refuse at start a URL the drivers would misread later, in errors that may quote it.

    A password with an unencoded "@", "/", "?" or "#" splits the URL in the wrong place: part
    of it becomes the host, the port or the database name, which driver errors do print.
    """
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        raise ValueError(
            f"{what} URL is malformed: a port that is not a number, or a password with "
            "unencoded special characters (percent-encode them: @ is %40, / is %2F)"
        ) from None
    if "@" in url.partition("://")[2].partition(parts.netloc)[2]:
        raise ValueError(
            f"{what} URL has an '@' after its host: percent-encode special characters in the "
            "password (@ is %40, / is %2F, ? is %3F, # is %23)"
        )
    if parts.scheme not in schemes:
        raise ValueError(f"{what} URL must start with one of {', '.join(schemes)}")


def redact(url: str) -> str:
    """A URL fit for logs and errors: the password never leaves the settings.

    Everything before the "@" that ends the credentials is masked, whatever a URL parser makes
    of it, so a password holding "/", "#" or "?" unencoded is masked too; the user name stays
    when one is spelled before a ":".
    """
    scheme, separator, rest = url.partition("://")
    if not separator or "@" not in rest:
        return url
    end = min((rest.find(c) for c in "/?#" if c in rest), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    if "@" in authority:
        credentials, _, host = authority.rpartition("@")
    else:
        _, colon, port = authority.partition(":")
        if not colon or port.isdigit():
            return url  # a host and port; the "@" is in the path or the query
        credentials, _, host = rest.rpartition("@")  # a password cut short by a "/" or "?"
        tail = ""
    user = credentials.split(":", 1)[0] if ":" in credentials else ""
    return f"{scheme}://{user}:***@{host}{tail}" if user else f"{scheme}://***@{host}{tail}"


@cache
def get_settings() -> Settings:
    return Settings()
