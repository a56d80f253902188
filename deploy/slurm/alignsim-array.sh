#!/usr/bin/env bash
# Slurm array job: one alignsim shard per array task, then a dependent merge job.
#
#   sbatch --array=1-32 alignsim-array.sh SCENARIO TRIALS OUTDIR
#
# SCENARIO and OUTDIR must be on storage every node can see.
#SBATCH --job-name=alignsim-shard
#SBATCH --cpus-per-task=4
#SBATCH --mem=2G
#SBATCH --time=01:00:00
#SBATCH --output=alignsim-%A_%a.out
set -euo pipefail

scenario=${1:?usage: sbatch --array=1-N alignsim-array.sh SCENARIO TRIALS OUTDIR}
trials=${2:?trials}
outdir=${3:?output folder}
shards=${SLURM_ARRAY_TASK_COUNT:?run as an array job: sbatch --array=1-N}
k=${SLURM_ARRAY_TASK_ID}

mkdir -p "$outdir/shards"
alignsim run "$scenario" --trials "$trials" --shard "$k/$shards" \
    --threads "${SLURM_CPUS_PER_TASK:-1}" --quiet --out "$outdir/shards/$k"

# The task with the lowest index submits the merge, to run after the whole array succeeded.
if [ "$k" = "${SLURM_ARRAY_TASK_MIN:-1}" ]; then
    sbatch --dependency="afterok:${SLURM_ARRAY_JOB_ID}" --job-name=alignsim-merge \
        --cpus-per-task=4 --mem=8G --time=01:00:00 \
        --wrap="alignsim merge $outdir/shards/* --out $outdir/results"
fi
