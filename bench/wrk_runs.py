"""wrk for the benchmark: one measured round (after a warm-up) and its output parsed.

bench/run.py loads /v1/search and the Flask floor through `wrk`, and the bed reports
through bench/reports.lua; both read wrk's summary the same way here.
"""
import re
import subprocess

WRK_THREADS = 2
WRK = [f"-t{WRK_THREADS}", "-c16"]


def to_ms(text):
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def parse_wrk(out):
    figures = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}
    found = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    figures["p99_ms"] = to_ms(found.group(1)) if found else None
    return figures


def wrk(url, lua, seconds, connections=WRK, server=None, script_args=(), warmup_lua=None):
    """wrk's figures for one round; with `server` (a Gunicorn), also the workers' CPU
    milliseconds per request, which a loaded machine disturbs far less than req/s.

    `script_args` go to the script after `--`; the warm-up runs `warmup_lua` (default:
    the same script) so that a measured round of distinct queries meets none of them
    warmed (bench/cycle.lua)."""
    subprocess.run(["wrk", *connections, "-d2s", "-s", warmup_lua or lua, url,
                    *(() if warmup_lua else ("--", *script_args))], capture_output=True,
                   timeout=60)  # warm-up: workers import lazily, caches fill
    cpu_before = server.cpu_seconds() if server else None
    out = subprocess.run(["wrk", *connections, f"-d{seconds}s", "--latency", "-s", lua, url,
                          *(("--", *script_args) if script_args else ())],
                         capture_output=True, text=True, timeout=seconds + 60).stdout
    figures = parse_wrk(out)
    requests_done = int(re.search(r"(\d+) requests in", out).group(1))
    figures["requests"] = requests_done
    repeated = re.search(r"cycle: repeated (\d+)", out)  # bench/cycle.lua says so
    if repeated:
        figures["repeated"] = int(repeated.group(1))
    if server:
        figures["cpu_ms_per_request"] = round(
            (server.cpu_seconds() - cpu_before) * 1000 / max(1, requests_done), 3)
    figures["p50_ms"] = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))
    figures["max_ms"] = to_ms(re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", out, re.M).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    figures["non_2xx"] = int(bad.group(1)) if bad else 0
    figures["socket_errors"] = sock.group(1) if sock else ""
    return figures
