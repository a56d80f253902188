#!/usr/bin/env bash
# One task of a Slurm array: one alignsim shard, written to OUTDIR/shards/TASK_ID.
# submit.sh submits it, with its merge; by hand:
#
#   sbatch --array=1-N alignsim-shard.sh run|sweep FILE OUTDIR [OPTIONS...]
#   sbatch --array=0-M alignsim-shard.sh ...          (0-based: M+1 shards)
#   ALIGNSIM_SHARDS=N sbatch --array=K alignsim-shard.sh ...   (re-runs shard K of N)
#
# alignsim reads its shard from the array (--shard auto): a whole array, from 1 or from 0,
# counts its own shards; any other (one task, a step, a list) numbers its tasks by shard,
# 1 to N, and needs ALIGNSIM_SHARDS=N. OPTIONS are those of `alignsim run` or `alignsim
# sweep` (not --shard, --threads or --out). ALIGNSIM names the binary (default: alignsim).
set -euo pipefail

mode=${1:?usage: sbatch --array=1-N alignsim-shard.sh run|sweep FILE OUTDIR [OPTIONS...]}
file=${2:?usage: sbatch --array=1-N alignsim-shard.sh run|sweep FILE OUTDIR [OPTIONS...]}
outdir=${3:?usage: sbatch --array=1-N alignsim-shard.sh run|sweep FILE OUTDIR [OPTIONS...]}
shift 3
case $mode in
    run | sweep) ;;
    *) echo "alignsim-shard.sh: the first argument must be run or sweep, got $mode" >&2; exit 2 ;;
esac
task=${SLURM_ARRAY_TASK_ID:?submit as an array job: sbatch --array=1-N}

exec "${ALIGNSIM:-alignsim}" "$mode" "$file" "$@" --shard auto \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet --out "$outdir/shards/$task"
