#!/usr/bin/env bash
# CI step: runs the GPU test project's OpenCL cases (trait Accelerator=opencl) on a real OpenCL device,
# pocl 6 (OpenCL on the CPU), so every launcher shape goes through ILGPU's device path: OpenCL C code
# generation, the driver's compiler, device buffers, copies in and out.
#
# Debian 12's pocl 3.1 lacks the generic address space ILGPU needs, so pocl comes from a Debian 13
# (trixie) root made here with debootstrap. The test project, already built on the host by the main
# `dotnet test`, runs inside that root with `dotnet test --no-build`: the host's .NET, the repository and
# the NuGet package folder are bind-mounted at the same paths, so nothing is restored or built in the
# root and no network is needed once its packages are in.
#
# Needs root (debootstrap, chroot, mount) and the Debian mirror. Prints the VSTest summary line
# ("Passed!  - Failed: ...") that .ci/run sums, preceded by how many cases ran on the device and how
# long each part took. See docs/gpu-ci.md.
#
# POCL_ROOT=<dir> keeps the root at <dir> and reuses it on the next run (for working on this script);
# by default it lives in a temporary folder removed at the end: CI caches nothing between runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
packages=(pocl-opencl-icd ocl-icd-libopencl1 ocl-icd-opencl-dev clinfo libicu76)

if [[ -n ${POCL_ROOT:-} ]]; then
  root=$POCL_ROOT
  keep=1
else
  root=$(mktemp -d /var/tmp/parallelkit-pocl.XXXXXX)
  keep=0
fi

dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
# Where the restore put the packages (the assets file says; dotnet test --no-build reads them from there).
assets=tests/ParallelKit.Gpu.Tests/obj/project.assets.json
nuget_packages=${NUGET_PACKAGES:-$(sed -n '/"packageFolders"/,/}/p' "$assets" 2>/dev/null | grep -o '"/[^"]*"' | head -1 | tr -d '"' || true)}
nuget_packages=${nuget_packages:-$HOME/.nuget/packages}
nuget_packages=${nuget_packages%/}
mounted=()

cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
    umount "${mounted[i]}" 2>/dev/null || umount -l "${mounted[i]}" || true
  done
  # Never remove a tree with anything still mounted under it (the repository, /dev, /sys).
  if [[ $keep -eq 0 ]] && ! grep -qF " $root/" /proc/mounts; then
    rm -rf --one-file-system "$root"
  fi
}
trap cleanup EXIT

bind() { # bind <host path> [ro]: the same path inside the root
  mkdir -p "$root$1"
  mount --bind "$1" "$root$1"
  mounted+=("$root$1")
  if [[ ${2:-} == ro ]]; then
    mount -o remount,bind,ro "$root$1"
  fi
}

t0=$(date +%s)
if [[ ! -x $root/usr/bin/clinfo ]]; then
  if ! command -v debootstrap >/dev/null; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null
  fi
  debootstrap --variant=minbase trixie "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
    || { tail -20 "$root.debootstrap.log"; exit 1; }
  rm -f "$root.debootstrap.log"
  t1=$(date +%s)
  chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive /bin/sh -c \
    "apt-get update -q && apt-get install -y -q --no-install-recommends ${packages[*]}" >"$root.apt.log" 2>&1 \
    || { tail -20 "$root.apt.log"; exit 1; }
  rm -f "$root.apt.log"
  t2=$(date +%s)
  echo "pocl root: debootstrap trixie $((t1 - t0)) s, pocl packages $((t2 - t1)) s"
fi
t2=$(date +%s)

mount -t proc proc "$root/proc"; mounted+=("$root/proc")
mount -t sysfs sysfs "$root/sys"; mounted+=("$root/sys") # pocl reads the CPU topology from /sys
bind /dev
bind "$dotnet_root" ro
bind "$nuget_packages" ro
bind "$repo"

chroot "$root" clinfo -l

log=$(mktemp)
set +e
chroot "$root" /usr/bin/env -i \
  HOME=/root PATH="$dotnet_root:/usr/sbin:/usr/bin:/sbin:/bin" \
  DOTNET_ROOT="$dotnet_root" NUGET_PACKAGES="$nuget_packages" \
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 \
  DOTNET_CLI_HOME=/root MSBUILDDISABLENODEREUSE=1 \
  dotnet test "$repo/tests/ParallelKit.Gpu.Tests/ParallelKit.Gpu.Tests.csproj" --no-build \
  --filter "Accelerator=opencl" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
t3=$(date +%s)

ran=$(grep -aE '(Passed|Failed)! +- Failed: ' "$log" | sed -E 's/.*Passed: *([0-9]+).*/\1/' | tail -1)
skipped=$(grep -aE '(Passed|Failed)! +- Failed: ' "$log" | sed -E 's/.*Skipped: *([0-9]+).*/\1/' | tail -1)
rm -f "$log"
echo "GPU tests on a real OpenCL device (pocl): ${ran:-0} passed, ${skipped:-0} skipped; tests $((t3 - t2)) s, whole step $((t3 - t0)) s"
if [[ ${skipped:-0} -ne 0 ]]; then
  # Every OpenCL case must run here: a skip means the device was not found, which is a failure.
  echo "OpenCL cases were skipped in the pocl root" >&2
  status=1
fi
exit "$status"
