"""Every environment variable the service reads, typed, with defaults, checked at start-up.

One settings object (12-factor): the app, the indexer and the tests all build it here, so
there is exactly one place that says what can be configured. README's configuration
reference lists the same names.
"""
import zoneinfo
from dataclasses import dataclass, field, fields, replace

from directory_service.env_values import (  # noqa: F401 (ConfigError is imported from here)
    ConfigError, _bool, _float, _int, _list, _str, _str_or_empty)


@dataclass(frozen=True)
class Settings:
    """Configuration of one process. Build with `Settings.from_env()`."""

    # Embedded store: one SQLite file, swapped atomically by the indexer.
    store_path: str = "var/directory.sqlite"
    # Elasticsearch is used instead of the embedded file whenever this is set.
    elasticsearch_url: str = ""
    elasticsearch_index_prefix: str = "directory"
    elasticsearch_keep_versions: int = 2
    # Per request: searches wait this long before a 503 (5 s rides out a slow shard or a
    # GC pause; the old 1 s turned tail latency into 503s); the indexer waits longer.
    elasticsearch_timeout_s: float = 5.0
    elasticsearch_indexer_timeout_s: float = 30.0
    # TLS: the cluster's CA certificate (PEM file) or its SHA-256 fingerprint (hex, as
    # Elasticsearch 8 prints it at first start). Credentials: an API key (the encoded
    # form) or a user name and password, never both. docs/elasticsearch.md lists roles.
    elasticsearch_ca_certs: str = ""
    elasticsearch_ca_fingerprint: str = ""
    elasticsearch_api_key: str = field(default="", repr=False)
    elasticsearch_username: str = ""
    elasticsearch_password: str = field(default="", repr=False)
    # Shards of each new index, and replicas: a number, or a range ("0-1": none on a
    # single node, one as soon as there are two).
    elasticsearch_shards: int = 1
    elasticsearch_replicas: str = "0-1"
    # Issue 24: ELASTICSEARCH_URL may list several nodes (comma-separated); or an Elastic
    # Cloud deployment's id instead of any URL.
    elasticsearch_cloud_id: str = ""
    # Server-side search timeout in every search body (partial results flagged
    # `timed_out` instead of a shard running on after the client gave up).
    elasticsearch_search_timeout: str = "3s"
    # Requests in flight per process (and pooled connections per node); a request that
    # finds none free within POOL_WAIT_S is a fast 503, never a queue without a deadline.
    elasticsearch_max_concurrency: int = 10
    elasticsearch_pool_wait_s: float = 0.25
    # The live-bed pushes' own credentials (the API's are read-only on the directory).
    elasticsearch_sync_api_key: str = field(default="", repr=False)
    elasticsearch_sync_username: str = ""
    elasticsearch_sync_password: str = field(default="", repr=False)
    # The cluster health the new index must reach before the alias moves to it.
    elasticsearch_swap_health: str = "green"
    # Availability database (bed reports, holds, keys): the store of record for live data.
    availability_path: str = "var/availability.sqlite"
    # How long a writer waits for another writer's transaction before giving up (ms).
    availability_busy_timeout_ms: int = 10_000
    # postgresql://user:password@host/db selects PostgreSQL (several API nodes share it);
    # empty: the SQLite file at availability_path. Per worker process: a pool of
    # pool_size connections (as many again in bursts), a request waits at most
    # pool_timeout_s for one, and a new connection at most connect_timeout_s.
    availability_url: str = field(default="", repr=False)
    availability_pool_size: int = 5
    availability_pool_timeout_s: float = 10.0
    availability_connect_timeout_s: int = 5
    # Connections a worker may open past pool_size in a burst.
    availability_max_overflow: int = 5
    # The PostgreSQL connection budget (directory_service/connection_budget.py): gunicorn
    # refuses to start when workers x api_replicas x (pool_size + max_overflow) exceeds it.
    # 90 leaves 10 of the server's default max_connections (100) for superusers, backups
    # and psql; 0 turns the check off (PgBouncer in front).
    availability_max_connections: int = 90
    # API nodes (gunicorn masters) sharing that one database, this one included.
    api_replicas: int = 1
    # gunicorn: worker processes (0: the CPU count, at least 2) and the seconds a worker
    # gets to finish its requests on SIGTERM; a container's stop grace must exceed it.
    web_concurrency: int = 0
    graceful_timeout_s: int = 20
    # Bed holds: default and longest life in minutes (a drive across the region, not a day).
    hold_default_minutes: int = 120
    hold_max_minutes: int = 240
    # Active holds one coach key may have at once, so one key cannot take every bed.
    hold_max_active_per_key: int = 5
    # Running watches one key may have at once: each is checked after every bed change,
    # so one key (or a leaked one) cannot make every change cost without bound.
    watch_max_active_per_key: int = 25
    # A bed report's reported_at must fall in [now - max age, now + max ahead]: an old
    # report is history, not news, and a clock a little fast is forgiven.
    report_max_age_days: float = 30.0
    report_max_ahead_minutes: float = 5.0
    # Paging.
    default_per_page: int = 10
    max_per_page: int = 100
    # Bed freshness thresholds in hours: fresh below the first, aging below the second.
    fresh_hours: float = 4.0
    stale_hours: float = 24.0
    # Optional geopy geocoder for full addresses ("nominatim"); empty keeps lookups offline.
    geocoder: str = ""
    geocoder_user_agent: str = "directory-service"
    # Where this deployment serves, for a city named alone ("Aurora"): state abbreviations
    # ("IL,WI") or points ("41.8,-88.2; 39.7,-104.8"). Empty: learnt from the records at
    # index time (service_region.py).
    service_region: str = ""
    # Origins allowed to call the API from a browser (CORS).
    cors_origins: tuple = field(default_factory=tuple)
    # Shared-cache lifetime of search and record responses; ETags revalidate after it.
    cache_max_age_s: int = 30
    # The public page's zone where the searcher's place has none (at sea); otherwise
    # "today" is a day in the searcher's own zone.
    site_timezone: str = "America/Chicago"
    log_level: str = "INFO"
    # Log lines as JSON objects (timestamp, level, request id, …) or plain text for a
    # developer's terminal (directory_service/request_log.py).
    log_format: str = "json"
    # Prometheus metrics at /metrics (directory_service/metrics.py); a non-empty token must
    # be sent as "Authorization: Bearer <token>".
    # /readyz says not ready when the SQLite availability file's disk has less free space.
    availability_min_free_mb: int = 64
    metrics_enabled: bool = True
    metrics_token: str = field(default="", repr=False)
    # Request limits (directory_service/request_limits.py): the largest body read, and the deepest
    # JSON nesting parsed; a bigger body is 413 before it is read.
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    # Seconds a request's whole body may take to arrive (0: no limit); a slower one is
    # 408 and its connection closed (directory_service/body_deadline.py).
    body_timeout_s: float = 10.0
    # Rate limits per route class, in `limits` notation ("600 per minute; 20 per second").
    # Anonymous requests count per client address, writes per API key, and requests that
    # failed authentication (401) per client address. Empty disables one class.
    rate_limit_enabled: bool = True
    rate_limit_read: str = "600 per minute"
    rate_limit_write: str = "60 per minute"
    rate_limit_auth_failures: str = "10 per minute"
    # Anonymous "Something wrong?" reports per client address (API and page together):
    # enough for a person with several corrections, too few to flood the admin queue.
    rate_limit_public_reports: str = "10 per hour"
    # memory:// counts in each worker separately; redis://host:6379 shares the counts.
    rate_limit_storage_uri: str = "memory://"
    # Clients counted only as keyed hashes; shared storage needs one secret in all workers.
    rate_limit_key_secret: str = ""
    # Proxies in front that append X-Forwarded-For (nginx: 1); 0 trusts no such header.
    proxy_hops: int = 0
    # Staff pages (docs/live-beds.md): the secret that signs session cookies (empty: one
    # is made and kept in staff-session.secret beside AVAILABILITY_PATH, shared by all
    # workers), the idle and absolute session lifetimes, and Secure on plain HTTP too
    # (it is always set when the request came over HTTPS).
    session_secret: str = field(default="", repr=False)
    staff_idle_minutes: float = 30.0
    staff_session_max_hours: float = 12.0
    session_cookie_secure: bool = False
    # Background jobs (docs/jobs.md): empty JOBS_URL queues in a SQLite file (JOBS_PATH,
    # default jobs.sqlite beside AVAILABILITY_PATH); redis://… shares one Redis queue.
    jobs_url: str = field(default="", repr=False)
    jobs_path: str = ""
    jobs_workers: int = 2
    jobs_poll_s: float = 1.0
    # Outbox rows every consumer has passed are deleted once older than this (hours).
    outbox_retention_h: float = 168.0
    # Nudges to facilities, every setting explained in docs/nudges.md: mail over SMTP
    # (empty SMTP_URL: no e-mail), the site's address for links made outside a request,
    # local nudge times, and the life of links and of the "Update" session.
    smtp_url: str = field(default="", repr=False)
    smtp_ca_file: str = ""
    smtp_timeout_s: float = 10.0
    mail_from: str = ""
    public_url: str = "http://127.0.0.1:8000"
    nudge_times: tuple = ("08:00", "13:00", "18:00")
    nudge_window_minutes: int = 60
    nudge_link_hours: float = 12.0
    nudge_session_minutes: float = 15.0
    nudge_max_contacts: int = 5
    nudge_max_attempts: int = 5
    # Partner webhooks (directory_service/webhooks/): targets in private, loopback,
    # link-local or other non-public ranges are refused unless allowed (tests, a closed
    # network); each attempt's connect and read timeout; attempts before a delivery is
    # dead-lettered; the first retry's delay, doubled per attempt up to the cap.
    webhook_allow_private: bool = False
    webhook_timeout_s: float = 5.0
    webhook_max_attempts: int = 8
    webhook_backoff_base_s: float = 30.0
    webhook_backoff_cap_s: float = 3600.0

    @classmethod
    def from_env(cls, **overrides):
        settings = cls(
            store_path=_str("STORE_PATH", cls.store_path),
            elasticsearch_url=_str("ELASTICSEARCH_URL", ""),
            elasticsearch_index_prefix=_str("ELASTICSEARCH_INDEX_PREFIX", cls.elasticsearch_index_prefix),
            elasticsearch_keep_versions=_int("ELASTICSEARCH_KEEP_VERSIONS", cls.elasticsearch_keep_versions),
            elasticsearch_timeout_s=_float("ELASTICSEARCH_TIMEOUT_S", cls.elasticsearch_timeout_s),
            elasticsearch_indexer_timeout_s=_float(
                "ELASTICSEARCH_INDEXER_TIMEOUT_S", cls.elasticsearch_indexer_timeout_s),
            elasticsearch_ca_certs=_str("ELASTICSEARCH_CA_CERTS", ""),
            elasticsearch_ca_fingerprint=_str("ELASTICSEARCH_CA_FINGERPRINT", ""),
            elasticsearch_api_key=_str("ELASTICSEARCH_API_KEY", ""),
            elasticsearch_username=_str("ELASTICSEARCH_USERNAME", ""),
            elasticsearch_password=_str("ELASTICSEARCH_PASSWORD", ""),
            elasticsearch_shards=_int("ELASTICSEARCH_SHARDS", cls.elasticsearch_shards),
            elasticsearch_replicas=_str("ELASTICSEARCH_REPLICAS", cls.elasticsearch_replicas),
            elasticsearch_cloud_id=_str("ELASTICSEARCH_CLOUD_ID", ""),
            elasticsearch_search_timeout=_str(
                "ELASTICSEARCH_SEARCH_TIMEOUT", cls.elasticsearch_search_timeout),
            elasticsearch_max_concurrency=_int(
                "ELASTICSEARCH_MAX_CONCURRENCY", cls.elasticsearch_max_concurrency),
            elasticsearch_pool_wait_s=_float(
                "ELASTICSEARCH_POOL_WAIT_S", cls.elasticsearch_pool_wait_s),
            elasticsearch_sync_api_key=_str("ELASTICSEARCH_SYNC_API_KEY", ""),
            elasticsearch_sync_username=_str("ELASTICSEARCH_SYNC_USERNAME", ""),
            elasticsearch_sync_password=_str("ELASTICSEARCH_SYNC_PASSWORD", ""),
            elasticsearch_swap_health=_str(
                "ELASTICSEARCH_SWAP_HEALTH", cls.elasticsearch_swap_health),
            availability_path=_str("AVAILABILITY_PATH", cls.availability_path),
            availability_busy_timeout_ms=_int(
                "AVAILABILITY_BUSY_TIMEOUT_MS", cls.availability_busy_timeout_ms),
            availability_url=_str("AVAILABILITY_URL", ""),
            availability_pool_size=_int("AVAILABILITY_POOL_SIZE", cls.availability_pool_size),
            availability_pool_timeout_s=_float(
                "AVAILABILITY_POOL_TIMEOUT_S", cls.availability_pool_timeout_s),
            availability_connect_timeout_s=_int(
                "AVAILABILITY_CONNECT_TIMEOUT_S", cls.availability_connect_timeout_s),
            availability_max_overflow=_int(
                "AVAILABILITY_MAX_OVERFLOW", cls.availability_max_overflow),
            availability_max_connections=_int(
                "AVAILABILITY_MAX_CONNECTIONS", cls.availability_max_connections),
            api_replicas=_int("API_REPLICAS", cls.api_replicas),
            web_concurrency=_int("WEB_CONCURRENCY", cls.web_concurrency),
            graceful_timeout_s=_int("GRACEFUL_TIMEOUT_S", cls.graceful_timeout_s),
            hold_default_minutes=_int("HOLD_DEFAULT_MINUTES", cls.hold_default_minutes),
            hold_max_minutes=_int("HOLD_MAX_MINUTES", cls.hold_max_minutes),
            hold_max_active_per_key=_int("HOLD_MAX_ACTIVE_PER_KEY", cls.hold_max_active_per_key),
            watch_max_active_per_key=_int("WATCH_MAX_ACTIVE_PER_KEY",
                                          cls.watch_max_active_per_key),
            report_max_age_days=_float("REPORT_MAX_AGE_DAYS", cls.report_max_age_days),
            report_max_ahead_minutes=_float(
                "REPORT_MAX_AHEAD_MINUTES", cls.report_max_ahead_minutes),
            default_per_page=_int("DEFAULT_PER_PAGE", cls.default_per_page),
            max_per_page=_int("MAX_PER_PAGE", cls.max_per_page),
            fresh_hours=_float("FRESH_HOURS", cls.fresh_hours),
            stale_hours=_float("STALE_HOURS", cls.stale_hours),
            geocoder=_str("GEOCODER", ""),
            geocoder_user_agent=_str("GEOCODER_USER_AGENT", cls.geocoder_user_agent),
            service_region=_str("SERVICE_REGION", ""),
            cors_origins=_list("CORS_ORIGINS"),
            cache_max_age_s=_int("CACHE_MAX_AGE_S", cls.cache_max_age_s),
            site_timezone=_str("SITE_TIMEZONE", cls.site_timezone),
            log_level=_str("LOG_LEVEL", cls.log_level).upper(),
            log_format=_str("LOG_FORMAT", cls.log_format).lower(),
            availability_min_free_mb=_int("AVAILABILITY_MIN_FREE_MB",
                                          cls.availability_min_free_mb),
            metrics_enabled=_bool("METRICS_ENABLED", cls.metrics_enabled),
            metrics_token=_str("METRICS_TOKEN", ""),
            max_body_bytes=_int("MAX_BODY_BYTES", cls.max_body_bytes),
            max_json_depth=_int("MAX_JSON_DEPTH", cls.max_json_depth),
            body_timeout_s=_float("BODY_TIMEOUT_S", cls.body_timeout_s),
            rate_limit_enabled=_bool("RATE_LIMIT_ENABLED", cls.rate_limit_enabled),
            rate_limit_read=_str_or_empty("RATE_LIMIT_READ", cls.rate_limit_read),
            rate_limit_write=_str_or_empty("RATE_LIMIT_WRITE", cls.rate_limit_write),
            rate_limit_auth_failures=_str_or_empty(
                "RATE_LIMIT_AUTH_FAILURES", cls.rate_limit_auth_failures),
            rate_limit_public_reports=_str_or_empty(
                "RATE_LIMIT_PUBLIC_REPORTS", cls.rate_limit_public_reports),
            rate_limit_storage_uri=_str("RATE_LIMIT_STORAGE_URI", cls.rate_limit_storage_uri),
            rate_limit_key_secret=_str("RATE_LIMIT_KEY_SECRET", ""),
            proxy_hops=_int("PROXY_HOPS", cls.proxy_hops),
            session_secret=_str("SESSION_SECRET", ""),
            staff_idle_minutes=_float("STAFF_IDLE_MINUTES", cls.staff_idle_minutes),
            staff_session_max_hours=_float(
                "STAFF_SESSION_MAX_HOURS", cls.staff_session_max_hours),
            session_cookie_secure=_bool("SESSION_COOKIE_SECURE", cls.session_cookie_secure),
            jobs_url=_str("JOBS_URL", ""), jobs_path=_str("JOBS_PATH", ""),
            jobs_workers=_int("JOBS_WORKERS", cls.jobs_workers),
            jobs_poll_s=_float("JOBS_POLL_S", cls.jobs_poll_s),
            outbox_retention_h=_float("OUTBOX_RETENTION_H", _float(  # the older name
                "ELASTICSEARCH_OUTBOX_RETENTION_H", cls.outbox_retention_h)),
            smtp_url=_str("SMTP_URL", ""),
            smtp_ca_file=_str("SMTP_CA_FILE", ""),
            smtp_timeout_s=_float("SMTP_TIMEOUT_S", cls.smtp_timeout_s),
            mail_from=_str("MAIL_FROM", ""),
            public_url=_str("PUBLIC_URL", cls.public_url).rstrip("/"),
            nudge_times=_list("NUDGE_TIMES", cls.nudge_times),
            nudge_window_minutes=_int("NUDGE_WINDOW_MINUTES", cls.nudge_window_minutes),
            nudge_link_hours=_float("NUDGE_LINK_HOURS", cls.nudge_link_hours),
            nudge_session_minutes=_float("NUDGE_SESSION_MINUTES", cls.nudge_session_minutes),
            nudge_max_contacts=_int("NUDGE_MAX_CONTACTS", cls.nudge_max_contacts),
            nudge_max_attempts=_int("NUDGE_MAX_ATTEMPTS", cls.nudge_max_attempts),
            webhook_allow_private=_bool("WEBHOOK_ALLOW_PRIVATE", cls.webhook_allow_private),
            webhook_timeout_s=_float("WEBHOOK_TIMEOUT_S", cls.webhook_timeout_s),
            webhook_max_attempts=_int("WEBHOOK_MAX_ATTEMPTS", cls.webhook_max_attempts),
            webhook_backoff_base_s=_float("WEBHOOK_BACKOFF_BASE_S", cls.webhook_backoff_base_s),
            webhook_backoff_cap_s=_float("WEBHOOK_BACKOFF_CAP_S", cls.webhook_backoff_cap_s),
        )
        settings = replace(settings, **overrides)
        settings.check()
        return settings

    def check(self):
        from directory_service.jobs.settings import check as check_jobs

        self._check_elasticsearch()
        check_jobs(self)
        if not 1 <= self.default_per_page <= self.max_per_page:
            raise ConfigError("DEFAULT_PER_PAGE must be between 1 and MAX_PER_PAGE")
        if not 0 < self.fresh_hours < self.stale_hours:
            raise ConfigError("FRESH_HOURS must be positive and below STALE_HOURS")
        if not 1 <= self.hold_default_minutes <= self.hold_max_minutes:
            raise ConfigError("HOLD_DEFAULT_MINUTES must be between 1 and HOLD_MAX_MINUTES")
        if self.hold_max_minutes > 7 * 24 * 60:
            raise ConfigError("HOLD_MAX_MINUTES must be at most a week (10080)")
        if self.hold_max_active_per_key < 1:
            raise ConfigError("HOLD_MAX_ACTIVE_PER_KEY must be at least 1")
        if self.watch_max_active_per_key < 1:
            raise ConfigError("WATCH_MAX_ACTIVE_PER_KEY must be at least 1")
        if not (0 < self.report_max_age_days <= 3650
                and 0 <= self.report_max_ahead_minutes <= 1440):
            raise ConfigError("REPORT_MAX_AGE_DAYS must be in (0, 3650] and "
                              "REPORT_MAX_AHEAD_MINUTES in [0, 1440]")
        try:
            zoneinfo.ZoneInfo(self.site_timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(f"SITE_TIMEZONE must be an IANA zone, got {self.site_timezone!r}") from None
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, "
                              f"got {self.log_level!r}")
        if self.log_format not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT must be json or text, got {self.log_format!r}")
        if self.geocoder not in ("", "nominatim"):
            raise ConfigError(f"GEOCODER must be empty or 'nominatim', got {self.geocoder!r}")
        self._check_limits()
        self._check_pools()
        self._check_service_region()
        if not 0 < self.staff_idle_minutes <= self.staff_session_max_hours * 60:
            raise ConfigError("STAFF_IDLE_MINUTES must be positive and at most "
                              "STAFF_SESSION_MAX_HOURS")
        if not (0 < self.webhook_timeout_s <= 60 and 1 <= self.webhook_max_attempts <= 50
                and 0 < self.webhook_backoff_base_s <= self.webhook_backoff_cap_s):
            raise ConfigError("WEBHOOK_TIMEOUT_S must be in (0, 60], WEBHOOK_MAX_ATTEMPTS in "
                              "[1, 50], and 0 < WEBHOOK_BACKOFF_BASE_S <= WEBHOOK_BACKOFF_CAP_S")
        self._check_nudges()

    def _check_nudges(self):
        from directory_service.nudges.settings import check

        check(self)

    def _check_elasticsearch(self):
        from directory_service.search.elastic.settings import check

        check(self)

    def _check_pools(self):
        for name in ("availability_pool_size", "api_replicas"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.upper()} must be at least 1")
        for name in ("availability_max_overflow", "availability_max_connections",
                     "web_concurrency"):
            if getattr(self, name) < 0:
                raise ConfigError(f"{name.upper()} must be 0 or more")
        if self.graceful_timeout_s < 1:
            raise ConfigError("GRACEFUL_TIMEOUT_S must be at least 1")

    def _check_service_region(self):
        from directory_service.service_region import parse_setting

        try:
            parse_setting(self.service_region)
        except ValueError as exc:
            raise ConfigError(f"SERVICE_REGION: {exc}") from None

    def _check_limits(self):
        from limits import parse_many

        if self.max_body_bytes < 1024:
            raise ConfigError("MAX_BODY_BYTES must be at least 1024")
        if not 2 <= self.max_json_depth <= 200:
            raise ConfigError("MAX_JSON_DEPTH must be between 2 and 200")
        if self.proxy_hops < 0:
            raise ConfigError("PROXY_HOPS must be 0 or more")
        for name in ("rate_limit_read", "rate_limit_write", "rate_limit_auth_failures",
                     "rate_limit_public_reports"):
            value = getattr(self, name)
            try:
                if value:
                    parse_many(value)
            except ValueError:
                raise ConfigError(f"{name.upper()} must look like '600 per minute', "
                                  f"got {value!r}") from None
        if not self.rate_limit_storage_uri.startswith("memory://") \
                and not self.rate_limit_key_secret:
            raise ConfigError("RATE_LIMIT_STORAGE_URI is shared: set RATE_LIMIT_KEY_SECRET "
                              "(the same in every worker) so client counts match")

    @property
    def uses_elasticsearch(self):
        return bool(self.elasticsearch_url or self.elasticsearch_cloud_id)

    def as_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}
