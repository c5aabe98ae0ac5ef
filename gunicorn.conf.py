"""gunicorn settings for directory-service (`gunicorn -c gunicorn.conf.py`).

The access log leaves out the query string and the client address: a search's query
string holds the searcher's location, and DESIGN §9 forbids logging it.
"""
import multiprocessing
import os

wsgi_app = "directory_service:create_app()"
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count())))
worker_class = "sync"
timeout = 30
graceful_timeout = 20
keepalive = 5
max_requests = 5000
max_requests_jitter = 500
accesslog = "-"
access_log_format = '%(m)s %(U)s %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()


def on_starting(server):
    """Build the place gazetteer once in the master; forked workers share it, so no
    searcher waits for it."""
    from directory_service import gazetteer

    gazetteer.warm()
