#!/usr/bin/env bash
# Submits a sharded alignsim job to Slurm: an array of one task per shard, and exactly one
# merge, which runs once every shard has succeeded and which Slurm cancels as soon as one
# has failed (--dependency=afterok with --kill-on-invalid-dep=yes).
#
#   submit.sh --shards N [OPTIONS] run SCENARIO OUTDIR [RUN OPTIONS...]
#   submit.sh --shards N [OPTIONS] sweep FILE OUTDIR [SWEEP OPTIONS...]
#
# Options (the defaults run on a node of 2 CPUs):
#   --shards N       how many shards (required)
#   --only LIST      submit only these shards, numbered 1 to N, in Slurm's array syntax
#                    (3, 2,5 or 1-7:2): re-runs the shards that failed, once the first
#                    array has finished, and merges all N again
#   --cpus C         CPUs of each shard task, which runs --threads C (default 1)
#   --mem M          memory of each shard task (default 1G)
#   --time T         time limit of each shard task (default 01:00:00)
#   --merge-mem M    memory of the merge, which runs on one CPU (default 1G)
#   --merge-time T   time limit of the merge (default 01:00:00)
#
# Shard K is written to OUTDIR/shards/K, the merged folder to OUTDIR/results and the jobs'
# output to OUTDIR/logs. SCENARIO or FILE and OUTDIR must be on storage that every node
# sees. sbatch's own variables choose the partition, account and QOS (SBATCH_PARTITION,
# SBATCH_ACCOUNT, SBATCH_QOS); ALIGNSIM names the alignsim binary (default: alignsim on
# the nodes' PATH). Prints the ids of the array and of the merge.
set -euo pipefail

usage() {
    sed -n '6,7p' "${BASH_SOURCE[0]}" | sed 's/^#   //' >&2
    [ -z "${1:-}" ] || echo "submit.sh: $1" >&2
    exit 2
}

shards='' only='' cpus=1 mem=1G time=01:00:00 merge_mem=1G merge_time=01:00:00
while [ $# -gt 0 ]; do
    case $1 in
        --shards) shards=${2:-}; shift 2 || usage "--shards needs a value" ;;
        --only) only=${2:-}; shift 2 || usage "--only needs a value" ;;
        --cpus) cpus=${2:-}; shift 2 || usage "--cpus needs a value" ;;
        --mem) mem=${2:-}; shift 2 || usage "--mem needs a value" ;;
        --time) time=${2:-}; shift 2 || usage "--time needs a value" ;;
        --merge-mem) merge_mem=${2:-}; shift 2 || usage "--merge-mem needs a value" ;;
        --merge-time) merge_time=${2:-}; shift 2 || usage "--merge-time needs a value" ;;
        run | sweep) break ;;
        *) usage "unknown option $1" ;;
    esac
done
[ $# -ge 3 ] || usage "expected run or sweep, a file and an output folder"
mode=$1 file=$2 outdir=$3
shift 3
[[ $shards =~ ^[1-9][0-9]*$ ]] || usage "--shards N is required, a whole number from 1"
[[ $cpus =~ ^[1-9][0-9]*$ ]] || usage "--cpus must be a whole number from 1"
[ -e "$file" ] || usage "$file does not exist"

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
mkdir -p "$outdir/shards" "$outdir/logs"

# The array is held until its merge exists, so that no shard can end before the merge
# depends on it.
array=$(sbatch --parsable --hold --job-name="alignsim-$mode-shards" \
    --array="${only:-1-$shards}" --cpus-per-task="$cpus" --mem="$mem" --time="$time" \
    --output="$outdir/logs/shard-%a.out" --export="ALL,ALIGNSIM_SHARDS=$shards" \
    "$here/alignsim-shard.sh" "$mode" "$file" "$outdir" "$@")
array=${array%%;*}
if ! merge=$(sbatch --parsable --job-name="alignsim-$mode-merge" \
    --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --cpus-per-task=1 --mem="$merge_mem" --time="$merge_time" \
    --output="$outdir/logs/merge.out" \
    "$here/alignsim-merge.sh" "$mode" "$outdir"); then
    scancel "$array"
    echo "submit.sh: the merge could not be submitted, so the array $array is cancelled" >&2
    exit 1
fi
merge=${merge%%;*}
scontrol release "$array"
echo "array $array: shards ${only:-1-$shards} of $shards into $outdir/shards"
echo "merge $merge: into $outdir/results once every shard has succeeded (cancelled if one fails)"
