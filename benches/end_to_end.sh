#!/usr/bin/env bash
# End-to-end wall time and peak memory of `alignsim run`, repeated (hyperfine style):
# prints every repetition, then the median wall time and the largest peak resident set.
#
#   benches/end_to_end.sh [TRIALS] [REPEATS] [EXTRA RUN ARGUMENTS...]
#   benches/end_to_end.sh 1000000 5
#   benches/end_to_end.sh 100000000 1 --no-trials --charts none
#
# Builds the release binary first. Needs GNU time (/usr/bin/time). Before each run, as
# hyperfine's --prepare would, the previous run's folder is deleted and dirty pages are
# written out (sync), so that every run starts from the same state: a run that replaces an
# existing folder also spends the time to delete it (a few tenths of a second for the
# 370 MB of a million-trial trials.parquet).
set -euo pipefail
cd "$(dirname "$0")/.."
trials=${1:-1000000}
repeats=${2:-5}
shift $(( $# < 2 ? $# : 2 ))
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/alignsim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
walls=()
peak=0
for i in $(seq 1 "$repeats"); do
    rm -rf "$out/run"
    sync
    /usr/bin/time -f '%e %M' -o "$out/time" \
        "$bin" run scenarios/bakery.toml --trials "$trials" --quiet --out "$out/run" "$@"
    read -r wall kb < "$out/time"
    echo "run $i: ${wall} s, peak ${kb} KB"
    walls+=("$wall")
    (( kb > peak )) && peak=$kb
done
median=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}')
echo "trials ${trials}: median ${median} s over ${repeats} runs, peak ${peak} KB ($(( peak / 1024 )) MB)"
