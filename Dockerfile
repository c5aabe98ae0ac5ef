# directory-service: the API under gunicorn, and the indexer in the same image.
# Two stages: the first installs the exact versions of requirements.lock (every file checked
# against its hash, nothing else admitted) and builds the project's own wheel; the second
# copies only that environment, with no compiler, no pip cache and no build tools.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first (a layer that changes only with the locks).
COPY requirements.lock requirements-build.lock ./
RUN python -m venv /opt/build \
    && /opt/build/bin/pip install --require-hashes -r requirements-build.lock \
    && python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes -r requirements.lock

# The project itself, built with the locked build backend and installed without deps:
# everything it needs is already there from the lock.
COPY setup.cfg pyproject.toml README.md ./
COPY directory_service ./directory_service
COPY indexer ./indexer
RUN /opt/build/bin/pip wheel --no-deps --no-build-isolation --wheel-dir /wheels . \
    && /opt/venv/bin/pip install --no-deps --no-index /wheels/*.whl \
    && /opt/venv/bin/pip check


FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    BIND=0.0.0.0:8000

WORKDIR /app

COPY --from=build /opt/venv /opt/venv
RUN useradd --system --uid 10001 --home-dir /app app \
    && mkdir -p /app/var && chown app /app/var

COPY gunicorn.conf.py ./
COPY seed_data ./seed_data

USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"
# exec form: gunicorn is PID 1 and gets Docker's SIGTERM itself, then has
# GRACEFUL_TIMEOUT_S to finish requests (compose's stop_grace_period is longer).
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
