"""The benchmark's output: one table on stdout and one plot of latency against size."""
import json
import os


def plot(out):
    """In-process median latency against size, every bench-*.json in `out`, with PostGIS."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ours, peer = {}, {}
    for name in os.listdir(out):
        if name.startswith("bench-") and name.endswith(".json"):
            with open(os.path.join(out, name)) as fh:
                fig = json.load(fh)
            ours.update({int(k): v for k, v in fig["curve"].items()})
            if fig.get("postgis"):
                peer[fig["size"]] = fig["postgis"]["median_ms"]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(sorted(ours), [ours[k] for k in sorted(ours)], "o-", label="directory-service (in process)")
    if peer:
        axes.plot(sorted(peer), [peer[k] for k in sorted(peer)], "s--", label="PostGIS peer")
    axes.set(xscale="log", yscale="log", xlabel="records", ylabel="median query latency (ms)",
             title="200 fixed queries (3.7-WM, Medicaid, 50 km)")
    axes.legend()
    figure.tight_layout()
    figure.savefig(os.path.join(out, "latency.png"), dpi=100)
    plt.close(figure)


def print_table(fig, reindex_nice):
    http, rep, re_ = fig["http"], fig["reports"], fig["reindex"]
    peer = fig["postgis"]
    rows = [
        ("records", f"{fig['size']:,}"),
        ("index time / peak RSS", f"{fig['index']['index_s']} s / {fig['index']['peak_rss_mb']} MB"),
        ("in-process query median / p99", f"{fig['in_process']['median_ms']} / {fig['in_process']['p99_ms']} ms"),
        ("same filter total as reference / same top-10 set",
         f"{fig['reference']['same_total']} / {fig['reference']['same_top10_set']} of {fig['reference']['queries']}"),
        ("PostGIS peer median / p99", f"{peer['median_ms']} / {peer['p99_ms']} ms" if peer else "not run"),
        ("/v1/search req/s (p99)", f"{http['service']['rps']} ({http['service']['p99_ms']} ms)"),
        ("Flask floor req/s (p99)", f"{http['floor']['rps']} ({http['floor']['p99_ms']} ms)"),
        ("search / floor ratio", f"{http['ratio']}"),
        ("worker CPU per request: search / floor",
         f"{http['service']['cpu_ms_per_request']} / {http['floor']['cpu_ms_per_request']} ms "
         f"(floor / search {http['cpu_ratio']})"),
        ("bed reports/s alone (p99), lost",
         f"{fig['reports_alone']['per_s']} ({fig['reports_alone']['p99_ms']} ms), "
         f"{fig['reports_alone']['lost']} lost"),
        ("bed reports/s under search load (p99), lost; searches/s",
         f"{rep['per_s']} ({rep['p99_ms']} ms), {rep['lost']} lost; {rep['search_rps']}"),
        (f"re-index (nice {reindex_nice}) under load: time, slowest search",
         f"{re_['index_s']} s, {re_['slowest_ms']} ms ({re_['over_100ms']} over 100 ms, {re_['errors']} errors)"),
    ]
    load = fig["load_average"]
    rows.append(("load average (1 min): at start / after HTTP / at end",
                 f"{load['before']:.2f} / {load['http']:.2f} / {load['end']:.2f}"))
    width = max(len(r[0]) for r in rows)
    print(f"\n| {'what':<{width}} | figure |\n|{'-' * (width + 2)}|---|")
    for what, value in rows:
        print(f"| {what:<{width}} | {value} |")
