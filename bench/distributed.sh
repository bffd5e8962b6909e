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
#   bash bench/distributed.sh --mpich        # the same rows under MPICH's mpiexec (Nabla then loads libmpich.so.12)
# JSON lines (rank 0's) go to stdout, the tables to stderr. Needs Open MPI's mpirun (sudo apt install openmpi-bin
# libopenmpi-dev), or with --mpich MPICH's mpiexec.mpich (sudo apt install mpich libmpich-dev).
set -euo pipefail
cd "$(dirname "$0")/.."

ranks=(2 3)
quick=()
# Open MPI's single-copy transfer (CMA, process_vm_readv) is slow in this VM: the shared-memory FIFOs instead
# (bench/README.md, session 12). --cma keeps Open MPI's default.
transport=(--mca btl_vader_single_copy_mechanism none)
mpich=0
while [ $# -gt 0 ]; do
    case "$1" in
        --ranks) ranks=("${2:?--ranks needs a number}"); shift ;;
        --quick) quick=(--quick) ;;
        --cma) transport=() ;;
        --mpich) mpich=1 ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument '$1'; try --help" >&2; exit 2 ;;
    esac
    shift
done
# Open MPI's launcher by its Debian name where both MPIs are installed (plain mpirun may be MPICH's).
openmpi=$(command -v mpirun.openmpi || command -v mpirun || true)
if [ "$mpich" -eq 1 ]; then
    command -v mpiexec.mpich >/dev/null || { echo "mpiexec.mpich not found: sudo apt install mpich libmpich-dev" >&2; exit 1; }
else
    [ -n "$openmpi" ] || { echo "mpirun not found: sudo apt install openmpi-bin libopenmpi-dev" >&2; exit 1; }
fi

# mpirun.openmpi/mpiexec.mpich -np N ... dotnet Nabla.Bench.dll --distributed. MPICH's hydra passes the whole
# environment, needs no flag for root or for more ranks than cores, and does not bind ranks to cores.
launch() {
    local n=$1; shift
    if [ "$mpich" -eq 1 ]; then
        mpiexec.mpich -n "$n" "$@"
    else
        # --bind-to none: with more ranks than cores (--oversubscribe), pinning would stack ranks on one core.
        "$openmpi" -np "$n" --oversubscribe --allow-run-as-root --bind-to none "${transport[@]}" -x NABLA_DETERMINISTIC -x NABLA_DIST_CHECKS "$@"
    fi
}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
dotnet build -c Release bench/Nabla.Bench -v q -nologo >&2
if [ "$mpich" -eq 1 ]; then mpi="MPICH $(mpiexec.mpich --version | awk '/Version:/ {print $2; exit}')"; else mpi="$("$openmpi" --version | head -1)"; fi
echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; load average $(uptime | sed 's/.*load average: //'); $mpi" >&2
for n in "${ranks[@]}"; do
    # default (checked), rank-ordered sums, then without the per-call join check (ProcessGroupOptions.Checked = false)
    for mode in "0 1" "1 1" "0 0"; do
        read -r deterministic checks <<<"$mode"
        NABLA_DETERMINISTIC=$deterministic NABLA_DIST_CHECKS=$checks launch "$n" dotnet bench/Nabla.Bench/bin/Release/net10.0/Nabla.Bench.dll --distributed "${quick[@]}"
    done
done
