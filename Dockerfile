# dedupcrawl: one image for the web UI, the workers and the scheduler (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DEDUPCRAWL_HOME=/data

WORKDIR /app
COPY pyproject.toml README.md constraints.txt ./
COPY archive ./archive
COPY crawler ./crawler
COPY dedup ./dedup
COPY synthetic ./synthetic
COPY workers ./workers
RUN pip install --upgrade pip && pip install -c constraints.txt . \
    && useradd --system --uid 10001 --home-dir /data dedupcrawl \
    && mkdir -p /data && chown dedupcrawl /data

USER dedupcrawl
VOLUME ["/data"]
EXPOSE 8750
ENTRYPOINT ["dedupcrawl"]
CMD ["serve", "--host", "0.0.0.0"]
