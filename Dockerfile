# A slim image of directory-service: the API under gunicorn, and the indexer in the same image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    BIND=0.0.0.0:8000

WORKDIR /app

# The package and its pinned-range dependencies (setup.cfg), then a non-root user.
COPY setup.cfg pyproject.toml README.md ./
COPY directory_service ./directory_service
COPY indexer ./indexer
RUN pip install ".[redis]" \
    && useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/var && chown app /app/var

COPY gunicorn.conf.py ./
COPY seed_data ./seed_data

USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
