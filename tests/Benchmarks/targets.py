#!/usr/bin/env python3
"""Prints ParallelKit's performance targets (issues 2 to 5, 10: clusters, 14: the IPC core, 15: CSP) next to a C# peer run.
Informational only: always exits 0, never fails a build.
    python3 targets.py cs.jsonl [py.jsonl]"""
import json
import sys


def load(path):
    rows = []
    with open(path) as fh:
        for line in fh:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    return rows


def find(rows, bench, variant, impl):
    for r in rows:
        if r.get("bench") == bench and r.get("variant") == variant and r.get("impl") == impl:
            return r
    return None


# (what, bench, variant, impl, key, op, target, unit)
TARGETS = [
    ("tiny-job round trip, warm process server", "pool_roundtrip", "submit_result",
     "csharp-parallelkit-processes", "median_us", "<=", 20.0, "us"),
    ("tiny-job round trip, warm process server (.Result)", "pool_roundtrip", "apply_async_get",
     "csharp-parallelkit-processes", "median_us", "<=", 20.0, "us"),
    ("unbatched Submit throughput (processes)", "pool_throughput", "submit",
     "csharp-parallelkit-processes", "ops_per_s", ">=", 500_000, "jobs/s"),
    ("MapAsync tiny jobs (processes)", "pool_throughput", "map_chunksize_default",
     "csharp-parallelkit-processes", "ops_per_s", ">=", 5_000_000, "jobs/s"),
    ("threads backend round trip", "thread_overhead", "threadpool_roundtrip",
     "csharp-parallelkit-threads", "median_us", "<=", 5.0, "us"),
    ("threads backend round trip (.Result)", "pool_roundtrip", "apply_async_get",
     "csharp-parallelkit-threads", "median_us", "<=", 5.0, "us"),
    ("map_speedup, processes, 2 workers", "map_speedup", "primes_below_1000000_64chunks",
     "csharp-parallelkit-processes", "speedup", ">=", 1.9, "x"),
    ("two workers ready after Start", "server_start", "two_workers_ready",
     "csharp-parallelkit-processes", "median_us", "<=", 150_000.0, "us"),
    # issue 3
    ("ParallelProcess spawn_join, cold", "spawn_join", "empty_target",
     "csharp-parallelkit-process", "median_us", "<=", 40_000.0, "us"),
    ("ParallelProcess spawn_join, warm spare ready", "spawn_join", "empty_target",
     "csharp-parallelkit-process-warm-spare", "median_us", "<=", 5_000.0, "us"),
    ("worker SIGKILL -> job runs again on another worker", "reliability", "worker_death_redispatch",
     "csharp-parallelkit-processes", "median_us", "<=", 100_000.0, "us"),
    ("MapAsync of 1M tiny jobs (processes)", "load", "map_1m_tiny_jobs",
     "csharp-parallelkit-processes", "ops_per_s", ">=", 5_000_000, "jobs/s"),
    # issue 4
    ("ProcessQueue 64 B, child -> parent", "queue_throughput", "payload_64B",
     "csharp-parallelkit", "ops_per_s", ">=", 2_000_000, "msg/s"),
    ("ProcessQueue 64 KiB, child -> parent", "queue_throughput", "payload_65536B",
     "csharp-parallelkit", "mb_per_s", ">=", 3_000, "MB/s"),
    ("ProcessPipe 64 B, child -> parent", "pipe_throughput", "payload_64B",
     "csharp-parallelkit", "ops_per_s", ">=", 1_000_000, "msg/s"),
    ("manager dict set+get from a child", "manager_dict", "set_get_from_child",
     "csharp-parallelkit", "ops_per_s", ">=", 100_000, "ops/s"),
    ("semaphore hand-off, two processes", "lock_pingpong", "semaphore_handoff_2proc",
     "csharp-parallelkit", "ops_per_s", ">=", 500_000, "round trips/s"),
    # issue 5
    ("locked increments, two processes", "shared_value", "locked_incr_2proc",
     "csharp-parallelkit", "ops_per_s", ">=", 20_000_000, "incr/s"),
    ("locked increments, uncontended", "shared_value", "locked_incr_1proc",
     "csharp-parallelkit", "ops_per_s", ">=", 50_000_000, "incr/s"),
    ("1M-int shared array sum", "shared_value", "array_sum_slice",
     "csharp-parallelkit-span", "mb_per_s", ">=", 5_000, "MB/s"),
]

# Measured without a numeric target ("bounded memory"): (what, bench, variant, impl, keys)
INFO = [
    ("1M-job MapAsync, parent memory", "load", "map_1m_tiny_jobs", "csharp-parallelkit-processes",
     ["peak_rss_mb", "rss_before_mb", "worker_peak_rss_mb", "parent_alloc_bytes_per_job"]),
    ("10k pending Submits of a 1 ms job, parent memory", "load", "submit_10k_pending",
     "csharp-parallelkit-processes",
     ["ops_per_s", "ideal_us_per_job", "median_us", "peak_rss_mb", "rss_before_mb",
      "worker_peak_rss_mb", "parent_alloc_bytes_per_job"]),
    ("worker SIGKILL -> parent sees the job requeued", "reliability", "worker_death_noticed",
     "csharp-parallelkit-processes", ["median_us", "p90_us", "max_us"]),
    ("worker SIGKILL -> job.Result returns (incl. the 200 ms re-run)", "reliability",
     "worker_death_kill_to_completion", "csharp-parallelkit-processes", ["median_us", "p90_us", "max_us"]),
]


# issue 10 (clusters), against Dask distributed measured in the same run (py.jsonl):
# (what, C# (bench, variant), Dask (bench, variant), key, "lower"|"higher" is better, required ratio)
CLUSTER_RATIOS = [
    ("tiny-job round trip driver -> node -> driver <= 1/50 of Dask submit().result()",
     ("cluster_roundtrip", "submit_result"), ("cluster_roundtrip", "submit_result"), "median_us", "lower", 50),
    ("the same with .Result (blocking, as Dask's .result())",
     ("cluster_roundtrip", "submit_result_sync"), ("cluster_roundtrip", "submit_result"), "median_us", "lower", 50),
    ("MapAsync of tiny jobs over 3 nodes (n = 1M) >= 500x Dask client.map (n = 5,000)",
     ("cluster_throughput", "map_tiny_1m"), ("cluster_throughput", "map_tiny"), "ops_per_s", "higher", 500),
    ("MapAsync of tiny jobs over 3 nodes, Dask's n = 5,000 (same-size comparison) >= 500x",
     ("cluster_throughput", "map_tiny"), ("cluster_throughput", "map_tiny"), "ops_per_s", "higher", 500),
]
CLUSTER_IMPL = "csharp-parallelkit-cluster"
DASK_IMPL = "python-dask-distributed"
# (what, bench, variant, key, op, target, unit)
CLUSTER_TARGETS = [
    ("MapAsync of tiny jobs over 3 nodes", "cluster_throughput", "map_tiny_1m", "ops_per_s", ">=", 1_000_000, "jobs/s"),
    ("SIGKILLed node's jobs running again elsewhere (Fast)", "cluster_node_death", "sigkill_rerun_first", "median_us", "<=", 3_000_000.0, "us"),
    ("3-node + driver cluster ready", "cluster_scale", "form_3_nodes", "median_us", "<=", 10_000_000.0, "us"),
]


# issues 14 (the IPC core) and 15 (CSP): ratios against a peer measured in the same run (py.jsonl, or cs.jsonl for
# .NET's own peers and the threads backend). (what, ours (bench, variant, impl), peer (bench, variant, impl), key,
# "lower"|"higher" is better, required ratio: ours must beat the peer by this factor; below 1, ours may be that much slower)
RATIOS = [
    ("14: round trip, .Result vs Pool.apply_async().get()",
     ("pool_roundtrip", "apply_async_get", "csharp-parallelkit-processes"),
     ("pool_roundtrip", "apply_async_get", "python-multiprocessing"), "median_us", "lower", 10),
    ("14: round trip, await vs Pool.apply_async().get()",
     ("pool_roundtrip", "submit_result", "csharp-parallelkit-processes"),
     ("pool_roundtrip", "apply_async_get", "python-multiprocessing"), "median_us", "lower", 10),
    ("14: round trip, .Result vs ProcessPoolExecutor.submit().result()",
     ("pool_roundtrip", "apply_async_get", "csharp-parallelkit-processes"),
     ("pool_roundtrip", "submit_result", "python-concurrent-futures"), "median_us", "lower", 10),
    ("14: round trip, await vs ProcessPoolExecutor.submit().result()",
     ("pool_roundtrip", "submit_result", "csharp-parallelkit-processes"),
     ("pool_roundtrip", "submit_result", "python-concurrent-futures"), "median_us", "lower", 10),
    ("14: MapAsync of tiny jobs vs Pool.map (default chunking)",
     ("pool_throughput", "map_chunksize_default", "csharp-parallelkit-processes"),
     ("pool_throughput", "map_chunksize_default", "python-multiprocessing"), "ops_per_s", "higher", 2),
    ("14: unbatched Submit vs ProcessPoolExecutor.submit",
     ("pool_throughput", "submit", "csharp-parallelkit-processes"),
     ("pool_throughput", "submit", "python-concurrent-futures"), "ops_per_s", "higher", 50),
    ("14: ProcessQueue 64 B vs Queue",
     ("queue_throughput", "payload_64B", "csharp-parallelkit"),
     ("queue_throughput", "payload_64B", "python-multiprocessing"), "ops_per_s", "higher", 15),
    ("14: ProcessPipe 64 B vs Pipe",
     ("pipe_throughput", "payload_64B", "csharp-parallelkit"),
     ("pipe_throughput", "payload_64B", "python-multiprocessing"), "ops_per_s", "higher", 5),
    ("14: manager dict set+get vs Manager().dict()",
     ("manager_dict", "set_get_from_child", "csharp-parallelkit"),
     ("manager_dict", "set_get_from_child", "python-multiprocessing"), "ops_per_s", "higher", 10),
    ("14: map_speedup, processes >= 0.95x the threads backend's",
     ("map_speedup", "primes_below_1000000_64chunks", "csharp-parallelkit-processes"),
     ("map_speedup", "primes_below_1000000_64chunks", "csharp-parallelkit-threads"), "speedup", "higher", 0.95),
    ("15: CommsTime in-process <= 2x .NET capacity-0 Channel",
     ("csp_commstime", "in_process", "csharp-parallelkit"),
     ("csp_commstime", "in_process", "csharp-dotnet-channel-capacity0"), "median_us", "lower", 0.5),
    ("15: CommsTime in-process vs Python threads rendezvous",
     ("csp_commstime", "in_process", "csharp-parallelkit"),
     ("csp_commstime", "threads_rendezvous", "python-threads-rendezvous"), "median_us", "lower", 20),
    ("15: CommsTime, one member in its own OS process, vs Python processes_pipe",
     ("csp_commstime", "one_member_os_process", "csharp-parallelkit"),
     ("csp_commstime", "processes_pipe", "python-mp-pipe"), "median_us", "lower", 10),
]


def ratio_section(rows, py):
    both = rows + py
    if not any(find(both, *ours) for _, ours, _, _, _, _ in RATIOS):
        return
    print()
    print("| ratio target (issues 14, 15) | ParallelKit | peer | ratio | need | status |")
    print("|---|---|---|---|---|---|")
    for what, ours, peer, key, better, need in RATIOS:
        c = find(both, *ours)
        p = find(both, *peer)
        if c is None or p is None or not c.get(key) or not p.get(key):
            print("| %s | %s | %s | | %sx | ? |" % (
                what, c.get(key) if c else "(not measured)", p.get(key) if p else "(not measured)", need))
            continue
        ratio = p[key] / c[key] if better == "lower" else c[key] / p[key]
        print("| %s | %s %s | %s %s | %.2fx | %sx | %s |" % (
            what, "{:,}".format(c[key]), key, "{:,}".format(p[key]), key, ratio, need,
            "met" if ratio >= need else "missed"))


def cluster_section(rows, py):
    if not any(str(r.get("bench", "")).startswith("cluster_") for r in rows):
        return
    print()
    print("| cluster target (issue 10) | ParallelKit | Dask | ratio | status |")
    print("|---|---|---|---|---|")
    for what, (cb, cv), (pb, pv), key, better, need in CLUSTER_RATIOS:
        c = find(rows, cb, cv, CLUSTER_IMPL)
        p = find(py, pb, pv, DASK_IMPL)
        if c is None or p is None or not c.get(key) or not p.get(key):
            print("| %s | %s | %s | | ? |" % (what, c.get(key) if c else "(not measured)", p.get(key) if p else "(not measured)"))
            continue
        ratio = p[key] / c[key] if better == "lower" else c[key] / p[key]
        print("| %s | %s %s | %s %s | %.1fx | %s |" % (
            what, "{:,}".format(c[key]), key, "{:,}".format(p[key]), key, ratio, "met" if ratio >= need else "missed"))
    for what, bench, variant, key, op, target, unit in CLUSTER_TARGETS:
        r = find(rows, bench, variant, CLUSTER_IMPL)
        if r is None or r.get(key) is None:
            print("| %s %s %s %s | (not measured) | | | ? |" % (what, op, "{:,}".format(target), unit))
            continue
        v = r[key]
        ok = v <= target if op == "<=" else v >= target
        print("| %s: %s %s %s %s | %s | | | %s |" % (what, key, op, "{:,}".format(target), unit, "{:,}".format(v), "met" if ok else "missed"))


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 0
    rows = load(sys.argv[1])
    cal = load(sys.argv[2]) if len(sys.argv) > 2 else []
    for r in cal:
        if r.get("bench") == "host_calibration" and "parallel_capacity" in r:
            print("host parallel_capacity [%s]: %s" % (r.get("tag", ""), r["parallel_capacity"]))
    if not any(r.get("bench") in {t[1] for t in TARGETS} for r in rows):
        ratio_section(rows, cal)
        cluster_section(rows, cal)
        return 0
    print("| target | measured | status |")
    print("|---|---|---|")
    for what, bench, variant, impl, key, op, target, unit in TARGETS:
        r = find(rows, bench, variant, impl)
        if r is None:
            q = [x for x in rows if x.get("bench") == bench and x.get("impl") == impl
                 and str(x.get("variant", "")).startswith(variant.split("_1000000")[0])]
            r = q[0] if q else None
        if r is None or r.get(key) is None:
            print("| %s %s %s %s | (not measured) | ? |" % (what, op, target, unit))
            continue
        v = r[key]
        ok = v <= target if op == "<=" else v >= target
        print("| %s: %s %s %s | %s %s (%s) | %s |" % (
            what, key, op, "{:,}".format(target), "{:,}".format(v), unit, r.get("variant"),
            "met" if ok else "missed"))
    print()
    print("| measured (no numeric target) | values |")
    print("|---|---|")
    for what, bench, variant, impl, keys in INFO:
        r = find(rows, bench, variant, impl)
        if r is None:
            print("| %s | (not measured) |" % what)
            continue
        print("| %s (n = %s) | %s |" % (what, "{:,}".format(r.get("n")), ", ".join(
            "%s %s" % (k, "{:,}".format(r[k]) if isinstance(r.get(k), (int, float)) else r.get(k))
            for k in keys)))
    ratio_section(rows, cal)
    cluster_section(rows, cal)
    return 0


if __name__ == "__main__":
    sys.exit(main())
