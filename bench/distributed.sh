#!/usr/bin/env bash
# Distributed rows (bench/Nabla.Bench/DistributedBenchmarks.cs): Nabla's all-reduce against the same MPI_Allreduce
# called from a plain C-style loop in the same processes, for 4 KiB .. 64 MiB of float32, on this machine under
# Open MPI's mpirun (shared memory between the ranks). Three runs per rank count: the default mode, NABLA_DETERMINISTIC=1
# (the rank-ordered reduction), NABLA_DIST_CHECKS=0 (no per-call join check); each run measures its own raw baseline, so every ratio
# printed was taken within one run.
#   bash bench/distributed.sh                # 2 ranks, then 3 ranks (several minutes)
#   bash bench/distributed.sh --ranks 2      # one rank count
#   bash bench/distributed.sh --quick        # 3 sizes, 3 blocks each
#   bash bench/distributed.sh --cma          # Open MPI's default single-copy transport (slow in this VM)
# JSON lines (rank 0's) go to stdout, the tables to stderr. Needs mpirun (sudo apt install openmpi-bin libopenmpi-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

ranks=(2 3)
quick=()
# Open MPI's single-copy transfer (CMA, process_vm_readv) is slow in this VM: the shared-memory FIFOs instead
# (bench/README.md, session 12). --cma keeps Open MPI's default.
transport=(--mca btl_vader_single_copy_mechanism none)
while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks=("${2:?--ranks needs a number}"); shift ;;
        --quick) quick=(--quick) ;;
        --cma) transport=() ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "unknown argument '$1'; try --help" >&2; exit 2 ;;
    esac
    shift
done
command -v mpirun >/dev/null || { echo "mpirun not found: sudo apt install openmpi-bin libopenmpi-dev" >&2; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build -c Release bench/Nabla.Bench -v q -nologo >&2
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average $(uptime | sed 's/.*load average: //')" >&2
for n in "${ranks[@]}"; do
    # default (checked), rank-ordered sums, then without the per-call join check (ProcessGroupOptions.Checked = false)
    for mode in "0 1" "1 1" "0 0"; do
        read -r deterministic checks <<<"$mode"
        # --bind-to none: with more ranks than cores (--oversubscribe), pinning would stack ranks on one core.
        NABLA_DETERMINISTIC=$deterministic NABLA_DIST_CHECKS=$checks mpirun -np "$n" --oversubscribe --allow-run-as-root --bind-to none "${transport[@]}" \
            -x NABLA_DETERMINISTIC -x NABLA_DIST_CHECKS dotnet bench/Nabla.Bench/bin/Release/net10.0/Nabla.Bench.dll --distributed "${quick[@]}"
    done
done
