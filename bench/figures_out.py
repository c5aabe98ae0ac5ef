"""The benchmark's output: one table on stdout and one plot, each figure beside the
commit, the date and the machine's load average it was measured at."""
import json
import os


def _runs(out):
    runs = []
    for name in sorted(os.listdir(out)):
        if name.startswith("bench-") and name.endswith(".json"):
            with open(os.path.join(out, name)) as fh:
                runs.append(json.load(fh))
    return sorted(runs, key=lambda fig: fig["size"])


def plot(out):
    """Every bench-*.json in `out` on one PNG: in-process latency against size beside the
    PostGIS peer, and the served req/s beside the bare Flask floor; each run's commit,
    date and load average under it (figures from a loaded machine say so)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = _runs(out)
    ours, peer = {}, {}
    for fig in runs:
        ours.update({int(k): v for k, v in fig["curve"].items()})
        if fig.get("postgis"):
            peer[fig["size"]] = fig["postgis"]["median_ms"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8))
    left.plot(sorted(ours), [ours[k] for k in sorted(ours)], "o-",
              label="directory-service (in process)")
    if peer:
        left.plot(sorted(peer), [peer[k] for k in sorted(peer)], "s--", label="PostGIS peer")
    else:
        left.plot([], [], " ", label="PostGIS peer: not run")
    left.set(xscale="log", yscale="log", xlabel="records", ylabel="median query latency (ms)",
             title="200 fixed queries (3.7-WM, Medicaid, 50 km)")
    left.legend(fontsize="small")

    served = [fig for fig in runs if fig.get("http")]
    sizes = [f"{fig['size']:,}" for fig in served]
    x = range(len(served))
    sides = (("service", "/v1/search"), ("floor", "bare Flask floor"))
    for offset, (key, label) in zip((-0.2, 0.2), sides):
        bars = right.bar([i + offset for i in x], [fig["http"][key]["rps"] for fig in served],
                         width=0.4, label=label)
        right.bar_label(bars, labels=[f"p99 {fig['http'][key]['p99_ms']} ms" for fig in served],
                        fontsize="x-small")
    right.set_xticks(list(x), sizes)
    right.set(xlabel="records", ylabel="requests/s (wrk -t2 -c16, 2 workers)",
              title="HTTP: distinct queries, service vs floor")
    right.legend(fontsize="small")
    notes = [f"{fig['size']:,}: commit {fig.get('commit', '?')}, {fig.get('date', '?')}, "
             f"load {_loads(fig)}" for fig in runs]
    figure.text(0.01, 0.01, "\n".join(notes), fontsize="x-small", va="bottom")
    figure.tight_layout(rect=(0, 0.04 * max(1, len(notes)), 1, 1))
    figure.savefig(os.path.join(out, "latency.png"), dpi=100)
    plt.close(figure)


def _loads(fig):
    load = fig.get("load_average", {})
    return " / ".join(f"{load[k]:.2f}" for k in ("before", "http", "end") if k in load)


def _at(figure):
    """The load average and time a figure was read at (bench/run.py `context`)."""
    if not figure or "load_1m" not in figure:
        return ""
    return f"{figure['load_1m']:.2f} at {figure['at'][11:19]}"


def print_table(fig, reindex_nice):
    http, rep, re_ = fig["http"], fig["reports"], fig["reindex"]
    peer, check = fig["postgis"], fig.get("served_check")
    rounds = {k: http[k].get("rounds", []) for k in ("service", "floor")}
    rows = [
        ("records", f"{fig['size']:,}", f"commit {fig.get('commit', '?')}, {fig.get('date', '?')}"),
        ("index time (CPU) / peak RSS", f"{fig['index']['index_s']} s "
         f"({fig['index'].get('cpu_s', '?')} s CPU) / {fig['index']['peak_rss_mb']} MB",
         _at(fig["index"])),
        ("in-process query median / p99", f"{fig['in_process']['median_ms']} / {fig['in_process']['p99_ms']} ms",
         _at(fig["in_process"])),
        ("same filter total as reference / same top-10 set",
         f"{fig['reference']['same_total']} / {fig['reference']['same_top10_set']} of {fig['reference']['queries']}"),
        ("served answers = in-process ones, one pinned moment",
         (f"{'all' if check['agree'] else 'NOT all'} {check['queries']}" if check else "not checked"),
         check.get("pinned_now", "") if check else ""),
        ("PostGIS peer median / p99", (f"{peer['median_ms']} / {peer['p99_ms']} ms; last top 3 "
                                       f"{'=' if peer.get('last_top3_as_reference') else '≠'} reference"
                                       if peer else f"not run: {fig.get('postgis_skipped', '?')}"),
         _at(peer)),
        (f"/v1/search req/s (p99), {http.get('distinct_queries', 200):,} distinct queries",
         f"{http['service']['rps']} ({http['service']['p99_ms']} ms); "
         f"{http.get('repeated_requests', '?')} requests repeated a query",
         "; ".join(_at(r) for r in rounds["service"])),
        ("Flask floor req/s (p99)", f"{http['floor']['rps']} ({http['floor']['p99_ms']} ms)",
         "; ".join(_at(r) for r in rounds["floor"])),
        ("search / floor ratio", f"{http['ratio']}"),
        ("worker CPU per request: search / floor",
         f"{http['service']['cpu_ms_per_request']} / {http['floor']['cpu_ms_per_request']} ms "
         f"(floor / search {http['cpu_ratio']})"),
        ("bed reports/s alone (p99), lost",
         f"{fig['reports_alone']['per_s']} ({fig['reports_alone']['p99_ms']} ms), "
         f"{fig['reports_alone']['lost']} lost", _at(fig["reports_alone"])),
        ("bed reports/s under search load (p99), lost; searches/s",
         f"{rep['per_s']} ({rep['p99_ms']} ms), {rep['lost']} lost; {rep['search_rps']}", _at(rep)),
        (f"re-index (nice {reindex_nice}) under {re_.get('rate', '?')} searches/s: time, slowest search",
         f"{re_['index_s']} s, {re_['slowest_ms']} ms ({re_['over_100ms']} of {re_.get('searches', '?')} "
         f"over 100 ms, {re_['errors']} errors)", _at(re_)),
        ("the same searches/s for 10 s before it, nothing indexed: slowest",
         (f"{re_['control']['slowest_ms']} ms ({re_['control']['over_100ms']} of "
          f"{re_['control']['searches']} over 100 ms)") if re_.get("control") else "not measured"),
    ]
    load = fig["load_average"]
    rows.append(("load average (1 min): at start / after HTTP / at end",
                 f"{load['before']:.2f} / {load['http']:.2f} / {load['end']:.2f}"))
    width = max(len(r[0]) for r in rows)
    print(f"\n| {'what':<{width}} | figure | read at: load (1 min), time (UTC) |")
    print(f"|{'-' * (width + 2)}|---|---|")
    for what, value, *at in rows:
        print(f"| {what:<{width}} | {value} | {at[0] if at else ''} |")


ONE_M = 1_000_000


def targets(fig):
    """Issue 25's targets §2–6, each as (section, target, figure, ratio, load, met): met is
    True/False, or None where the target is for another size than this run's."""
    http, rep, re_ = fig["http"], fig["reports"], fig["reindex"]
    service, floor = http["service"], http["floor"]
    p99_times = service["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else float("inf")
    index, memory = fig["index"], fig.get("serving_memory")
    at_1m = fig["size"] >= ONE_M
    rows = [
        ("2", "/v1/search ≥ 0.5× floor req/s, p99 ≤ 3× floor p99",
         f"{service['rps']} vs {floor['rps']} req/s; p99 {service['p99_ms']} vs {floor['p99_ms']} ms",
         f"{http['ratio']:.2f}×; p99 {p99_times:.1f}×",
         "; ".join(_at(r) for r in service.get("rounds", [])),
         http["ratio"] >= 0.5 and p99_times <= 3),
        ("3", "1M records indexed ≤ 60 s, peak RSS < 1.5 GB",
         f"{index['index_s']} s, {index['peak_rss_mb']} MB",
         f"{index['index_s'] / 60:.2f}× the time, {index['peak_rss_mb'] / 1536:.2f}× the memory",
         _at(index),
         (index["index_s"] <= 60 and index["peak_rss_mb"] < 1536) if at_1m else None),
        ("4", "≥ 1,000 bed reports/s while searches run (SQLite)",
         f"{rep['per_s']} reports/s beside {rep['search_rps']} searches/s, {rep['lost']} lost",
         f"{rep['per_s'] / 1000:.2f}×", _at(rep), rep["per_s"] >= 1000 and not rep["lost"]),
        ("5", "re-index under search load: no search > 100 ms",
         f"{re_['over_100ms']} of {re_.get('searches', '?')} searches > 100 ms, slowest "
         f"{re_['slowest_ms']} ms (at {re_.get('rate', '?')}/s"
         + (f"; {re_['control']['over_100ms']} > 100 ms in the control before it)"
            if re_.get("control") else ")"),
         f"slowest {re_['slowest_ms'] / 100:.2f}× the bound", _at(re_),
         re_["over_100ms"] == 0 and not re_["errors"]),
    ]
    if memory:
        rows.append(("6", "1M served in < 1 GB for two workers together (PSS)",
                     f"PSS {memory['pss_mb']} MB (RSS {memory['rss_mb']} MB), "
                     f"{memory['workers']} workers",
                     f"{memory['pss_mb'] / 1024:.2f}×", _at(memory),
                     memory["pss_mb"] < 1024 if at_1m else None))
    return rows


def print_targets(fig):
    print(f"\n| § | target | figure | against the target | read at: load (1 min), time (UTC) | met |")
    print("|---|---|---|---|---|---|")
    for section, target, figure, ratio, load, met in targets(fig):
        verdict = {True: "yes", False: "no", None: f"(a target at {ONE_M:,})"}[met]
        print(f"| {section} | {target} | {figure} | {ratio} | {load} | {verdict} |")


def print_runs(out):
    """Every run in `out` side by side (docs/performance.md's first table): the targets of
    each size with figure, ratio and load, and each run's commit, date and loads."""
    runs = _runs(out)
    print("| § | target | " + " | ".join(f"{fig['size']:,} records" for fig in runs) + " |")
    print("|---|---|" + "---|" * len(runs))
    per_run = [{row[0]: row for row in targets(fig)} for fig in runs]
    for section in ("2", "3", "4", "5", "6"):
        cells, name = [], ""
        for rows in per_run:
            row = rows.get(section)
            if row is None:
                cells.append("not measured")
                continue
            name = row[1]
            verdict = {True: "**met**", False: "**not met**", None: "(judged at 1M)"}[row[5]]
            cells.append(f"{row[2]}; {row[3]}; load {row[4] or '?'}; {verdict}")
        print(f"| {section} | {name} | " + " | ".join(cells) + " |")
    print("| | run | " + " | ".join(f"commit {fig.get('commit', '?')}, {fig.get('date', '?')}, "
                                      f"load {_loads(fig)}" for fig in runs) + " |")


if __name__ == "__main__":
    import sys

    print_runs(sys.argv[1] if len(sys.argv) > 1 else "var/bench")
