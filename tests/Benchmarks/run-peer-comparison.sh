#!/usr/bin/env bash
# Python peer baselines and ParallelKit's C# peer mode, same machine, same run.
#   tests/Benchmarks/run-peer-comparison.sh [--quick] [--cluster]
# Builds tests/Benchmarks in Release, runs the Python suite (run_all.sh) first and then the
# C# peer mode, writes both JSON-lines files under artifacts/bench/, and prints
# `python3 compare.py py.jsonl cs.jsonl --markdown`, then the targets summary (targets.py).
# --cluster: only the cluster benchmarks (issue 10): host calibration, dask_cluster.py (Dask
# distributed, 3 local workers; Debian python3-distributed), then `peer --only cluster_*`
# (a loopback Orleans cluster of this executable), calibration again; files *-cluster.jsonl.
# Env: PY_BASELINES  the Python baselines folder (default: ../shared/baselines/python
#                    relative to the repository root); PYTHON as for run_all.sh.
#      SKIP_BUILD=1  use the existing Release build.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
py_dir="${PY_BASELINES:-$repo/../shared/baselines/python}"
quick=""
cluster=""
for arg in "$@"; do
  case "$arg" in
    --quick) quick="--quick" ;;
    --cluster) cluster="1" ;;
    *) echo "usage: $0 [--quick] [--cluster]" >&2; exit 2 ;;
  esac
done
cluster_benches="cluster_roundtrip,cluster_throughput,cluster_map_speedup,cluster_node_death,cluster_scale"

if [ ! -x "$py_dir/run_all.sh" ] && [ ! -f "$py_dir/run_all.sh" ]; then
  echo "Python baselines not found at $py_dir (set PY_BASELINES)" >&2
  exit 2
fi
py_dir="$(cd "$py_dir" && pwd)"

out="$repo/artifacts/bench"
mkdir -p "$out"
suffix="${cluster:+-cluster}${quick:+-quick}"
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
if [ -n "$cluster" ]; then
  # Python: calibration + the Dask distributed baseline only (run_all.sh runs it too, with everything else).
  py="${PYTHON:-python3}"
  : > "$py_out"
  echo "== host calibration, then python dask_cluster.py $quick" >&2
  "$py" "$py_dir/calibrate.py" --tag start | tee -a "$py_out" || py_rc=$?
  "$py" "$py_dir/dask_cluster.py" $quick | tee -a "$py_out" || py_rc=$?
  grep -q '"python-dask-distributed"' "$py_out" || echo "!! dask_cluster.py wrote no result (is python3-distributed installed? see its SKIP line above)" >&2
  echo "== C# peer mode ($exe peer $quick --only $cluster_benches)" >&2
  t0=$SECONDS
  "$exe" peer $quick --only "$cluster_benches" | tee "$cs_out" || cs_rc=$?
  echo "   (C# cluster benchmarks: $((SECONDS - t0)) s)" >&2
else
  echo "== python peers ($py_dir/run_all.sh $quick)" >&2
  bash "$py_dir/run_all.sh" $quick "$py_out" || py_rc=$?

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
