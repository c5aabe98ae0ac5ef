"""OpenTelemetry tracing (directory_service/tracing.py): off by default, on from its
standard environment variables, one span per request named by route, and nothing of the
searcher's in it."""
import json


from directory_service import create_app, tracing
from directory_service.config import Settings


def test_off_unless_the_standard_variables_ask():
    assert not tracing.wanted({})
    assert tracing.wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing.wanted({"OTEL_TRACES_EXPORTER": "none",
                               "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert not tracing.wanted({"OTEL_SDK_DISABLED": "true",
                               "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})


def test_a_default_app_has_no_tracer(app):
    assert "tracer_provider" not in app.extensions


def test_the_environment_turns_on_the_otlp_exporter(monkeypatch, seed_store_path, tmp_path):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")
    app = create_app(Settings.from_env(store_path=seed_store_path,
                                       availability_path=str(tmp_path / "a.sqlite")))
    provider = app.extensions["tracer_provider"]
    exporters = [type(p.span_exporter).__name__
                 for p in provider._active_span_processor._span_processors]
    assert exporters == ["OTLPSpanExporter"]
    provider.shutdown()
    app.extensions["store"].close()


def test_one_span_per_request_by_route_without_the_searchers_place(app):
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    assert tracing.init_app(app, exporter=exporter)
    client = app.test_client()
    client.get("/v1/search?near=60540&q=detox", headers={"X-Request-ID": "trace-me-1"})
    client.get("/v1/resources/seed:fac-001")
    client.get("/v1/resources/nope:1")
    spans = exporter.get_finished_spans()
    assert [s.name for s in spans] == ["GET /v1/search", "GET /v1/resources/<path:record_id>",
                                       "GET /v1/resources/<path:record_id>"]
    first = dict(spans[0].attributes)
    assert first["http.route"] == "/v1/search" and first["http.response.status_code"] == 200
    assert first["directory.request_id"] == "trace-me-1"
    assert dict(spans[2].attributes)["http.response.status_code"] == 404
    everything = json.dumps([dict(s.attributes) for s in spans]) + " ".join(s.name for s in spans)
    for secret in ("60540", "detox", "seed:fac-001", "nope:1", "127.0.0.1"):
        assert secret not in everything
