FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config config
COPY pipeline pipeline
COPY tasks tasks
COPY ingest ingest
COPY ops ops
COPY migrations migrations
RUN pip install --no-cache-dir . flower
ENV NASHR_DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8000
CMD ["nashr", "up", "--host", "0.0.0.0"]
