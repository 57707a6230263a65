# The mailflow-sentinel streaming worker.
#   docker build -t mailflow-sentinel .
#   docker run --rm -p 9108:9108 mailflow-sentinel worker --broker kafka://kafka:9092 --metrics-port 9108
# Every worker flag can also be set as a MAILFLOW_* environment variable
# (`mailflow worker --help`). docker-compose.yml runs two replicas.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# only what the package needs (see .dockerignore)
COPY pyproject.toml README.md ./
COPY detectors/ detectors/
COPY streams/ streams/
# the versions streams/seam.py was tested with (pyproject.toml pins the range)
RUN pip install ".[rocksdb]" "faust-streaming==0.15.3" "aiokafka==0.14.0" "mode-streaming==0.7.1" \
 && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin mailflow \
 && mkdir -p /app/data \
 && chown mailflow /app/data

USER mailflow

# Faust's local data (the state itself lives in the changelog topic);
# /metrics listens on every interface so Prometheus can scrape the container.
ENV MAILFLOW_DATA_DIR=/app/data \
    MAILFLOW_METRICS_HOST=0.0.0.0 \
    MAILFLOW_METRICS_PORT=9108

EXPOSE 9108

# healthy = ready for traffic: /readyz answers 200 once the table is recovered after the latest
# partition assignment (503 while rebalancing); /healthz is the liveness check (streams/httpd.py).
# With --metrics-certfile the endpoint is HTTPS only: override this check with an https URL.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/readyz' % os.environ.get('MAILFLOW_METRICS_PORT', '9108'), timeout=4)" || exit 1

ENTRYPOINT ["mailflow"]
CMD ["worker"]
