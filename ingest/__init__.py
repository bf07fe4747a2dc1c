"""The HTTP API: article ingest and status, the published site, health."""
