"""OpenTelemetry tracing, off unless its standard environment variables ask for it.

On when `OTEL_TRACES_EXPORTER` names an exporter other than `none`, or an OTLP endpoint is
set (`OTEL_EXPORTER_OTLP_ENDPOINT` / `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`); off when
`OTEL_SDK_DISABLED=true`. The SDK reads the rest of its standard variables itself
(`OTEL_SERVICE_NAME`, headers, sampling). Needs the `tracing` extra
(`pip install 'directory-service[tracing]'`); without it a warning says so and nothing
else changes.

One span per request, named by its route's rule and carrying method, route, status and
the request id — never the path's values, the query string (a searcher's place), the
body, a client address or a key (DESIGN §9). Library auto-instrumentation is not used
because it records the full URL.
"""
import logging
import os

from flask import current_app, g, request

log = logging.getLogger(__name__)


def wanted(environ=os.environ):
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter:
        return exporter != "none"
    return bool(environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
                or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))


def init_app(app, exporter=None):
    """Trace `app`'s requests when the environment asks (or an `exporter` is given)."""
    if exporter is None and not wanted():
        return False
    try:
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    except ImportError:
        log.warning("tracing asked for (OTEL_* set) but OpenTelemetry is not installed: "
                    "pip install 'directory-service[tracing]'")
        return False
    provider = TracerProvider(resource=Resource.create(
        {"service.name": os.environ.get("OTEL_SERVICE_NAME") or "directory-service"}))
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    app.extensions["tracer_provider"] = provider
    app.extensions["tracer"] = provider.get_tracer("directory_service")
    app.before_request(_start_span)
    app.teardown_request(_end_span)
    app.after_request(_describe)
    return True


def _start_span():
    from opentelemetry.trace import SpanKind

    rule = request.url_rule
    name = f"{request.method} {rule.rule if rule is not None else 'unmatched'}"
    g.trace_span = current_app.extensions["tracer"].start_span(name, kind=SpanKind.SERVER, attributes={
        "http.request.method": request.method,
        "http.route": rule.rule if rule is not None else "unmatched",
        "directory.request_id": g.get("request_id", "-"),
    })


def _describe(response):
    span = g.get("trace_span")
    if span is not None:
        span.set_attribute("http.response.status_code", response.status_code)
    return response


def _end_span(exc):
    span = g.pop("trace_span", None)
    if span is not None:
        if exc is not None:
            from opentelemetry.trace import Status, StatusCode

            span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
        span.end()
