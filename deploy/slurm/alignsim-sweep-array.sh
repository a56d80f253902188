#!/usr/bin/env bash
# Slurm array job for a what-if sweep: one sweep shard (a contiguous slice of the grid's
# points) per array task, then a dependent merge job.
#
#   sbatch --array=1-16 alignsim-sweep-array.sh FILE OUTDIR [SWEEP OPTIONS...]
#
# FILE is a batch file (scenarios/whatif/*.toml) or a scenario followed by --vary options;
# every task passes the same options. FILE and OUTDIR must be on storage every node can see.
#SBATCH --job-name=alignsim-sweep-shard
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=alignsim-sweep-%A_%a.out
set -euo pipefail

file=${1:?usage: sbatch --array=1-N alignsim-sweep-array.sh FILE OUTDIR [SWEEP OPTIONS...]}
outdir=${2:?output folder}
shift 2
shards=${SLURM_ARRAY_TASK_COUNT:?run as an array job: sbatch --array=1-N}
k=${SLURM_ARRAY_TASK_ID}

mkdir -p "$outdir/shards"
alignsim sweep "$file" "$@" --shard "$k/$shards" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet --out "$outdir/shards/$k"

# The task with the lowest index submits the merge, to run after the whole array succeeded.
# A sweep merge reads only each point's figures: one core and little memory suffice.
if [ "$k" = "${SLURM_ARRAY_TASK_MIN:-1}" ]; then
    sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=alignsim-sweep-merge \
        --cpus-per-task=1 --mem=1G --time=00:30:00 \
        --wrap="alignsim sweep-merge $outdir/shards/* --out $outdir/results"
fi
