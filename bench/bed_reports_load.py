"""Bed reports at full speed (wrk with bench/reports.lua), alone or while wrk loads
searches, and the check that no saved report was lost."""
import os
import re
import shutil
import subprocess
import tempfile

import requests

from bench.loopback import ROOT
from bench.wrk_runs import parse_wrk

REPORTS_LUA = os.path.join(ROOT, "bench", "reports.lua")


def reports_under_load(url, key, levels, lua, seconds, threads=4, load=True):
    """Bed reports from `threads` connections (wrk, bench/reports.lua) while wrk loads
    searches on 8 more (or, with load=False, alone: what the report path sustains)."""
    work = tempfile.mkdtemp(prefix="reports-")
    ids, session = sorted(levels), requests.Session()
    for i in range(threads):
        with open(os.path.join(work, f"reporter-{i + 1}.txt"), "w") as fh:
            for fid in ids[i::threads]:
                etag = session.get(f"{url}/v1/facilities/{fid}/beds", timeout=30).headers["ETag"]
                fh.write(f"{fid} {levels[fid]} {etag}\n")
    searches = None
    if load:
        searches = subprocess.Popen(["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-s",
                                     lua, url], stdout=subprocess.PIPE, text=True)
    try:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{threads}", f"-d{seconds}s",
                              "--latency", "-s", REPORTS_LUA, url, "--", work, key],
                             capture_output=True, text=True, timeout=seconds + 60)
    finally:
        search_out = searches.communicate(timeout=seconds + 60)[0] if searches else None
    counted = re.search(r"reports: ok (\d+) refused (\d+)", out.stdout)
    if counted is None:
        raise RuntimeError(f"the report client failed: {out.stdout[-500:]} {out.stderr[-500:]}")
    figures = parse_wrk(out.stdout)
    lost, facilities = lost_reports(url, levels, os.path.join(work, "accepted.txt"))
    shutil.rmtree(work, ignore_errors=True)
    search = parse_wrk(search_out) if search_out else {"rps": 0, "p99_ms": None}
    ok, refused = int(counted.group(1)), int(counted.group(2))
    return {"per_s": round(figures["rps"] * ok / max(1, ok + refused)),
            "p99_ms": figures["p99_ms"], "accepted": ok, "refused": refused,
            "lost": lost, "facilities": facilities,
            "search_rps": round(search["rps"]), "search_p99_ms": search["p99_ms"]}


def lost_reports(url, levels, accepted_path):
    """Facilities whose served figure is not the last one a PUT was told was saved (or,
    for the report in flight when the run stopped, that one)."""
    accepted, inflight = {}, {}
    with open(accepted_path) as fh:
        for line in fh:
            parts = line.split()
            if parts[0] == "inflight":
                inflight[parts[1]] = int(parts[2])
            else:
                accepted[parts[0]] = int(parts[1])
    lost = 0
    for fid, available in accepted.items():
        rows = requests.get(f"{url}/v1/facilities/{fid}/beds", timeout=30).json()["rows"]
        row = next(r for r in rows if r["level_of_care"] == levels[fid])
        lost += row.get("available") not in (available, inflight.get(fid))
    return lost, len(accepted)
