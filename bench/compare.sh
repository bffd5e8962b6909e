#!/usr/bin/env bash
# Side by side: Nabla (bench/Nabla.Bench) and TorchSharp 0.107.0 / libtorch 2.10.0 CPU
# (bench/Peers.TorchSharp) on the same workloads, in the same run, then one table with the ratio per row.
# Nabla.Bench also measures the machine's anchors: fma_peak, copy_bandwidth, and OpenBLAS's sgemm (Debian's
# libopenblas0-pthread, loaded by the bench alone; skipped, with the reason, where it is not installed) as a
# third column of the matmul rows.
#   bash bench/compare.sh                    # everything (several minutes)
#   bash bench/compare.sh --quick            # smaller sizes, fewer repetitions (about a minute)
#   bash bench/compare.sh --filter matmul    # only workloads whose name contains "matmul"
#   bash bench/compare.sh --omp-passive      # TorchSharp with OMP_WAIT_POLICY=PASSIVE (see bench/README.md)
#   bash bench/compare.sh --openblas-core X  # OpenBLAS kernel family (OPENBLAS_CORETYPE), or "auto": the bench's choice
# Builds both in Release first. The JSON lines and the table are kept in a results folder (printed at the
# end; set COMPARE_OUT to choose it). See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
filter=""
omp="default (libgomp spins at barriers)"
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=(--quick) ;;
        --filter) filter="${2:?--filter needs a name}"; shift ;;
        --omp-passive) export OMP_WAIT_POLICY=PASSIVE; omp="OMP_WAIT_POLICY=PASSIVE" ;;
        --openblas-core)
            case "${2:?--openblas-core needs a name or auto}" in
                auto) unset OPENBLAS_CORETYPE ;;
                *) export OPENBLAS_CORETYPE="$2" ;;
            esac
            shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        *) echo "unknown argument '$1'; try --help" >&2; exit 2 ;;
    esac
    shift
done

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="${COMPARE_OUT:-$(mktemp -d /tmp/nabla-compare.XXXXXX)}"
mkdir -p "$out"
nabla_out="$out/nabla.jsonl"
torch_out="$out/torchsharp.jsonl"
: >"$nabla_out"
: >"$torch_out"

build() { # build PROJECT: output in $out/build.log, shown only when the build fails
    echo "== dotnet build -c Release $1" >&2
    dotnet build -c Release "$1" -nologo >>"$out/build.log" 2>&1 || { tail -n 30 "$out/build.log" >&2; exit 1; }
}
build bench/Nabla.Bench/Nabla.Bench.csproj
# The peer's build also marks libLibTorchSharp.so's GLIBCXX_3.4.32 requirement weak (see its csproj).
build bench/Peers.TorchSharp/Peers.TorchSharp.csproj

nabla_bin=bench/Nabla.Bench/bin/Release/net10.0/Nabla.Bench
torch_bin=bench/Peers.TorchSharp/bin/Release/net10.0/linux-x64/Peers.TorchSharp

# One group at a time, Nabla then TorchSharp, so that noise from other work on the machine spreads over
# both sides instead of landing on one. "overhead" also runs "overhead_chain".
if [ -n "$filter" ]; then
    groups=("$filter")
else
    groups=(fma_peak copy_bandwidth matmul overhead elementwise second_derivative mlp_train_step cnn_train_step gpt_train_step lstm_train_step memory attention_memory startup)
fi
nabla_only=" fma_peak copy_bandwidth attention_memory " # the anchors and attention_memory (fused vs composite, both Nabla): the TorchSharp side has no such workload

run() { # run SIDE BINARY OUTFILE GROUP: a side without that workload says so and the row stays empty
    local side="$1" bin="$2" file="$3" group="$4" status=0
    "$bin" --filter "$group" "${quick[@]}" >>"$file" 2>"$out/$side.$group.log" || status=$?
    if [ "$status" -ne 0 ]; then
        echo "   $side: $group exited $status: $(tail -n 1 "$out/$side.$group.log")" >&2
    fi
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "== $(nproc) cores, load average $load_before (other work on the machine makes numbers noisy)" >&2
for g in "${groups[@]}"; do
    echo "== $g" >&2
    run nabla "$nabla_bin" "$nabla_out" "$g"
    [[ "$nabla_only" == *" $g "* ]] || run torchsharp "$torch_bin" "$torch_out" "$g"
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

{
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), .NET $(dotnet --version)."
    echo "Load average (1, 5, 15 min) before: $load_before, after: $load_after. TorchSharp OpenMP wait policy: $omp."
    echo "Run took ${SECONDS} s$([ ${#quick[@]} -gt 0 ] && echo ', --quick')."
    # The anchors' notes: which OpenBLAS and kernels, or why a row was skipped.
    grep -h -e '^# matmul (OpenBLAS)' -e 'skipped:' "$out"/nabla.*.log 2>/dev/null | sed 's/^# /Nabla.Bench: /' || true
    echo
    python3 bench/compare_table.py "$nabla_out" "$torch_out"
} | tee "$out/table.md"
echo >&2
echo "results in $out (nabla.jsonl, torchsharp.jsonl, table.md, logs)" >&2
