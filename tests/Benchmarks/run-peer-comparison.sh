#!/usr/bin/env bash
# Python peer baselines and ParallelKit's C# peer mode, same machine, same run.
#   tests/Benchmarks/run-peer-comparison.sh [--quick] [--cluster | --csp | --ipc]
# Builds tests/Benchmarks in Release, runs the Python suite (run_all.sh) first and then the
# C# peer mode, writes both JSON-lines files under artifacts/bench/, and prints
# `python3 compare.py py.jsonl cs.jsonl --markdown`, then the targets summary (targets.py).
# --cluster: only the cluster benchmarks (issue 10): host calibration, dask_cluster.py (Dask
# distributed, 3 local workers; Debian python3-distributed), then `peer --only cluster_*`
# (a loopback Orleans cluster of this executable), calibration again; files *-cluster.jsonl.
# --csp: only the CSP benchmarks (issue 15): host calibration, csp_commstime.py (threads and
# processes), then `peer --only csp` (ParallelKit's CommsTime and ping-pong, .NET's capacity-0
# Channel network, and Go's CommsTime when `go` is there), calibration again; files *-csp.jsonl.
# --ipc: only the benchmarks of issue 14's targets (the IPC core): host calibration, the Python
# pool_roundtrip, pool_throughput, map_speedup, queue_throughput (queue and pipe) and manager_dict,
# then `peer --only` the same (with the socket-transport variants), calibration again; files *-ipc.jsonl.
# Go: the C# peer mode runs tests/Benchmarks/Go/commstime.go with `go run` when `go` is on the
# PATH; when it is not, this script installs golang-go with apt-get if it runs as root (set
# NO_GO_INSTALL=1 not to), and otherwise says why Go is skipped.
# Env: PY_BASELINES  the Python baselines folder (default: ../shared/baselines/python
#                    relative to the repository root); PYTHON as for run_all.sh.
#      SKIP_BUILD=1  use the existing Release build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py_dir="${PY_BASELINES:-$repo/../shared/baselines/python}"
quick=""
cluster=""
csp=""
ipc=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick="--quick" ;;
    --cluster) cluster="1" ;;
    --csp) csp="1" ;;
    --ipc) ipc="1" ;;
    *) echo "usage: $0 [--quick] [--cluster | --csp | --ipc]" >&2; exit 2 ;;
  esac
done
if [ "$(( ${cluster:-0} + ${csp:-0} + ${ipc:-0} ))" -gt 1 ]; then
  echo "usage: $0 [--quick] [--cluster | --csp | --ipc]" >&2
  exit 2
fi

# The Go peer of the CSP benchmarks (tests/Benchmarks/Go/commstime.go) needs `go`; install it when we may.
ensure_go() {
  if command -v go >/dev/null 2>&1; then
    echo "== go: $(go version 2>/dev/null)" >&2
    return 0
  fi
  if [ "${NO_GO_INSTALL:-0}" = "1" ]; then
    echo "== go: not installed (NO_GO_INSTALL=1): the Go CommsTime peer is skipped" >&2
    return 0
  fi
  if [ "$(id -u)" != "0" ]; then
    echo "== go: not installed, and this script is not root (apt-get needs root): the Go CommsTime peer is skipped; install golang-go to run it" >&2
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "== go: not installed, and there is no apt-get here: the Go CommsTime peer is skipped; install Go to run it" >&2
    return 0
  fi
  echo "== go: installing golang-go (apt-get) for the Go CommsTime peer" >&2
  if DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2 \
    || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >&2; }; then
    echo "== go: $(go version 2>/dev/null)" >&2
  else
    echo "!! go: apt-get install golang-go failed (see above): the Go CommsTime peer is skipped" >&2
  fi
  return 0
}
cluster_benches="cluster_roundtrip,cluster_throughput,cluster_map_speedup,cluster_node_death,cluster_scale"
ipc_benches="pool_roundtrip,pool_throughput,map_speedup,queue_throughput,pipe_throughput,manager_dict"

if [ ! -x "$py_dir/run_all.sh" ] && [ ! -f "$py_dir/run_all.sh" ]; then
  echo "Python baselines not found at $py_dir (set PY_BASELINES)" >&2
  exit 2
fi
py_dir="$(cd "$py_dir" && pwd)"

out="$repo/artifacts/bench"
mkdir -p "$out"
suffix="${cluster:+-cluster}${csp:+-csp}${ipc:+-ipc}${quick:+-quick}"
py_out="$out/py$suffix.jsonl"
cs_out="$out/cs$suffix.jsonl"
md_out="$out/compare$suffix.md"

exe="$here/bin/Release/net10.0/ParallelKit.Benchmarks"
if [ "${SKIP_BUILD:-0}" != "1" ]; then
  echo "== build (Release)" >&2
  dotnet build -c Release "$here/ParallelKit.Benchmarks.csproj" -nologo -v:q >&2
fi
[ -x "$exe" ] || { echo "missing $exe (build failed?)" >&2; exit 1; }

echo "== host: $(nproc) cpus; $(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n1)" >&2
echo "== date: $(date -u +%Y-%m-%dT%H:%M:%SZ)" >&2

py_rc=0
cs_rc=0
py="${PYTHON:-python3}"

# One subset of the benchmarks: host calibration and the given Python baselines only (run_all.sh runs them too,
# with everything else), then the C# peer mode for the given benches.
#   run_subset LABEL "python scripts (space-separated)" "C# benches (comma-separated)" [hook run between the two]
run_subset() {
  local label="$1" scripts="$2" benches="$3" hook="${4:-}"
  : > "$py_out"
  echo "== host calibration, then python $scripts $quick" >&2
  "$py" "$py_dir/calibrate.py" --tag start | tee -a "$py_out" || py_rc=$?
  for b in $scripts; do
    "$py" "$py_dir/$b.py" $quick | tee -a "$py_out" || py_rc=$?
  done
  "$py" "$py_dir/calibrate.py" --tag end | tee -a "$py_out" || py_rc=$?
  if [ -n "$hook" ]; then "$hook"; fi
  echo "== C# peer mode ($exe peer $quick --only $benches)" >&2
  local t0=$SECONDS
  "$exe" peer $quick --only "$benches" | tee "$cs_out" || cs_rc=$?
  echo "   (C# $label benchmarks: $((SECONDS - t0)) s)" >&2
}

check_dask() {
  grep -q '"python-dask-distributed"' "$py_out" || echo "!! dask_cluster.py wrote no result (is python3-distributed installed? see its SKIP line above)" >&2
}

if [ -n "$cluster" ]; then
  run_subset cluster "dask_cluster" "$cluster_benches" check_dask
elif [ -n "$csp" ]; then
  run_subset CSP "csp_commstime" csp ensure_go
elif [ -n "$ipc" ]; then
  # queue_throughput.py measures the pipe too.
  run_subset IPC "pool_roundtrip pool_throughput map_speedup queue_throughput manager_dict" "$ipc_benches"
else
  echo "== python peers ($py_dir/run_all.sh $quick)" >&2
  bash "$py_dir/run_all.sh" $quick "$py_out" || py_rc=$?
  ensure_go

  echo "== C# peer mode ($exe peer $quick)" >&2
  t0=$SECONDS
  "$exe" peer $quick | tee "$cs_out" || cs_rc=$?
  echo "   (C# peer mode: $((SECONDS - t0)) s)" >&2
fi
# Host check after the C# run too (run_all.sh calibrates at its own start and end only).
"${PYTHON:-python3}" "$py_dir/calibrate.py" --tag after-csharp | tee -a "$py_out" || true

echo "== compare" >&2
python3 "$py_dir/compare.py" "$py_out" "$cs_out" --markdown | tee "$md_out"
echo "== targets (informational)" >&2
python3 "$here/targets.py" "$cs_out" "$py_out" | tee "$out/targets$suffix.md"
echo "wrote $py_out, $cs_out, $md_out" >&2
if [ $py_rc -ne 0 ] || [ $cs_rc -ne 0 ]; then
  echo "!! python exit $py_rc, C# exit $cs_rc" >&2
  exit 1
fi
