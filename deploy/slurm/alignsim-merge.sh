#!/usr/bin/env bash
# The merge of a sharded job: every folder in OUTDIR/shards into OUTDIR/results. It is
# single-threaded and small (see deploy/README.md). submit.sh submits it; by hand, after
# an array ARRAY_ID of alignsim-shard.sh:
#
#   sbatch --dependency=afterok:ARRAY_ID --kill-on-invalid-dep=yes --cpus-per-task=1 \
#       --mem=1G alignsim-merge.sh run|sweep OUTDIR [MERGE OPTIONS...]
#
# MERGE OPTIONS are those of `alignsim merge` or `alignsim sweep-merge`, such as --charts.
# The merge names any shard that is missing or given twice. ALIGNSIM names the binary.
set -euo pipefail

mode=${1:?usage: alignsim-merge.sh run|sweep OUTDIR [MERGE OPTIONS...]}
outdir=${2:?usage: alignsim-merge.sh run|sweep OUTDIR [MERGE OPTIONS...]}
shift 2
case $mode in
    run) command=merge ;;
    sweep) command=sweep-merge ;;
    *) echo "alignsim-merge.sh: the first argument must be run or sweep, got $mode" >&2; exit 2 ;;
esac
shopt -s nullglob
shards=("$outdir"/shards/*)
if [ ${#shards[@]} -eq 0 ]; then
    echo "alignsim-merge.sh: no shard folders in $outdir/shards" >&2
    exit 1
fi

exec "${ALIGNSIM:-alignsim}" "$command" "${shards[@]}" --out "$outdir/results" "$@"
