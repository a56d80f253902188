#!/usr/bin/env bash
# Runs the Slurm scripts beside this file on a real one-node Slurm cluster and checks what
# deploy/README.md promises: a sharded run and a sharded sweep merge into the files a single
# run or sweep writes, a 0-based array gives the whole result, a failed shard cancels the
# merge and leaves no results, and that shard alone can then be run again.
#
#   deploy/slurm/test-local.sh [ALIGNSIM_BINARY]     (default: $ALIGNSIM or target/debug/alignsim)
#
# The cluster is Debian's slurm-wlm and munge (installed when missing), without systemd or
# cgroups, on 127.0.0.1 only, with the machine's own CPUs and memory; its state and logs
# live in a temporary folder, and every daemon started here is stopped by its PID on exit.
# Exits 0 when every check passes, 1 when one fails, and 0 after a line "SKIPPED: reason"
# when not run as root or when the packages cannot be installed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
binary=${1:-${ALIGNSIM:-$root/target/debug/alignsim}}

skip() {
    echo "SKIPPED: $1"
    exit 0
}
fail() {
    echo "FAILED: $1"
    [ -z "${tmp:-}" ] || echo "state and logs kept in $tmp"
    keep=1
    exit 1
}

[ "$(id -u)" = 0 ] || skip "not root: a Slurm cluster cannot be started"
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null ||
    ! command -v munged >/dev/null || ! command -v sbatch >/dev/null; then
    echo "installing slurm-wlm and munge"
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y slurm-wlm munge; } \
        >/tmp/alignsim-slurm-apt.log 2>&1 ||
        skip "slurm-wlm and munge cannot be installed (see /tmp/alignsim-slurm-apt.log)"
fi
[ -x "$binary" ] || fail "no alignsim binary at $binary (cargo build first)"
binary=$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")
export ALIGNSIM=$binary

tmp=$(mktemp -d /tmp/alignsim-slurm.XXXXXX)
keep=0
pids=()
cleanup() {
    if [ -n "${SLURM_CONF:-}" ] && [ -e "$SLURM_CONF" ]; then
        scancel --quiet --user=root 2>/dev/null || true
    fi
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    [ "$keep" = 1 ] || rm -rf "$tmp"
}
trap cleanup EXIT

# --- the cluster ---------------------------------------------------------------------------
mkdir -p "$tmp/munge" "$tmp/state" "$tmp/spool" "$tmp/log"
chmod 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged --foreground --force --key-file="$tmp/munge/munge.key" --socket="$socket" \
    --pid-file="$tmp/munge/munged.pid" --seed-file="$tmp/munge/munged.seed" \
    --log-file="$tmp/log/munged.log" >"$tmp/log/munged.out" 2>&1 &
pids+=($!)

read -r cpus memory < <(slurmd -C | sed -n 's/.*CPUs=\([0-9]*\).*RealMemory=\([0-9]*\).*/\1 \2/p')
[ -n "$memory" ] || fail "slurmd -C did not tell the node's CPUs and memory"
export SLURM_CONF=$tmp/slurm.conf
cat >"$SLURM_CONF" <<CONF
ClusterName=alignsim-test
SlurmctldHost=localhost(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=6817
SlurmdPort=6818
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/slurmd-%n
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

for _ in $(seq 50); do [ -S "$socket" ] && break; sleep 0.1; done
[ -S "$socket" ] || fail "munged did not start (see $tmp/log/munged.log)"
slurmctld -D -i -f "$SLURM_CONF" >"$tmp/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$tmp/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 60); do
    state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
    [ "$state" = idle ] && break
    sleep 0.5
done
[ "$state" = idle ] || fail "the node did not become idle (state: ${state:-none}; see $tmp/log)"
echo "cluster up: one node, $cpus CPUs, $memory MB, Slurm $(sinfo -V | cut -d' ' -f2)"

# --- helpers -------------------------------------------------------------------------------
passed=0
pass() {
    passed=$((passed + 1))
    echo "ok $passed - $1"
}

# The state of job $1 once it has ended (every task of an array: one state a line).
wait_for() {
    local states
    for _ in $(seq 240); do
        states=$(scontrol -o show job "$1" | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
        if ! grep -q -E 'PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED' <<<"$states"; then
            echo "$states"
            return
        fi
        sleep 0.5
    done
    echo "job $1 did not end within two minutes: $states" >&2
    echo TIMEOUT
}

# Submits through submit.sh and sets array and merge to the ids of its two jobs.
submit() {
    local said
    said=$("$here/submit.sh" "$@") || fail "submit.sh $*: $said"
    echo "$said" >>"$tmp/log/submit.out"
    array=$(sed -n 's/^array \([0-9]*\):.*/\1/p' <<<"$said")
    merge=$(sed -n 's/^merge \([0-9]*\):.*/\1/p' <<<"$said")
    [ -n "$array" ] && [ -n "$merge" ] || fail "submit.sh did not print two job ids: $said"
}

# Checks that folder $2 holds exactly the files of folder $1, byte for byte, but for
# manifest.json and, when $3 is "report", report.html but for its provenance lines.
same_files() {
    local a=$1 b=$2 f
    diff <(cd "$a" && find . -type f | sort) <(cd "$b" && find . -type f | sort) >&2 ||
        fail "$b does not hold the same files as $a"
    while read -r f; do
        case $f in
            ./manifest.json) ;;
            ./report.html)
                [ "${3:-}" = report ] || fail "unexpected report.html in $a"
                cmp -s <(provenance_masked "$a/$f") <(provenance_masked "$b/$f") ||
                    fail "$b/$f differs from $a/$f beyond its time, scenario path and command"
                ;;
            *) cmp -s "$a/$f" "$b/$f" || fail "$b/$f differs from $a/$f" ;;
        esac
    done < <(cd "$a" && find . -type f | sort)
}

# report.html without the lines that name when and how it was made.
provenance_masked() {
    grep -v -e ' · simulated ' -e '<dt>Scenario file</dt>' -e '<dt>Simulated at</dt>' \
        -e '<dt>Command</dt>' "$1"
}

# --- the checks ----------------------------------------------------------------------------
scenario=$root/scenarios/bakery.toml
grid=$root/scenarios/whatif/bakery_alignment_grid.toml
out="$tmp/runs with spaces"
trials=6007
mkdir -p "$out"

"$binary" run "$scenario" --trials "$trials" --quiet --out "$out/single"
submit --shards 3 run "$scenario" "$out/run" --trials "$trials"
[ "$(wait_for "$merge")" = COMPLETED ] || fail "the merge of 3 shards did not complete"
[ "$(wait_for "$array" | sort -u)" = COMPLETED ] || fail "a shard of 3 did not complete"
same_files "$out/single" "$out/run/results" report
pass "run as a 1-based array of 3 shards: every file as the single run's but manifest.json and report.html's provenance"

"$binary" sweep "$grid" --trials 200 --quiet --out "$out/single-sweep" >/dev/null
submit --shards 4 sweep "$grid" "$out/sweep" --trials 200
[ "$(wait_for "$merge")" = COMPLETED ] || fail "the sweep merge did not complete"
same_files "$out/single-sweep" "$out/sweep/results" report
pass "sweep as an array of 4 shards: every file as the single sweep's but manifest.json and report.html's provenance"

mkdir -p "$out/zero/logs"
array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --mem=1G \
    --output="$out/zero/logs/shard-%a.out" \
    "$here/alignsim-shard.sh" run "$scenario" "$out/zero" --trials "$trials")
merge=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
    --cpus-per-task=1 --mem=1G --output="$out/zero/logs/merge.out" \
    "$here/alignsim-merge.sh" run "$out/zero")
[ "$(wait_for "$merge")" = COMPLETED ] || fail "the merge of the 0-based array did not complete"
same_files "$out/single" "$out/zero/results" report
pass "run as a 0-based array (sbatch --array=0-3): 4 shards, the single run's result"

# A regular file where shard 2's folder would go makes that shard fail.
mkdir -p "$out/fail/shards"
: >"$out/fail/shards/2"
submit --shards 3 run "$scenario" "$out/fail" --trials "$trials"
[ "$(wait_for "$merge")" = CANCELLED ] || fail "the merge was not cancelled after a shard failed"
states=$(wait_for "$array" | sort | paste -sd' ')
[ "$states" = "COMPLETED COMPLETED FAILED" ] || fail "expected one failed shard, got: $states"
[ ! -e "$out/fail/results" ] || fail "a failed shard left $out/fail/results"
[ "$(squeue -h | wc -l)" = 0 ] || fail "jobs are left in the queue: $(squeue -h)"
pass "a failed shard: the merge is cancelled, no results, nothing left in the queue"

rm "$out/fail/shards/2"
submit --shards 3 --only 2 run "$scenario" "$out/fail" --trials "$trials"
[ "$(wait_for "$merge")" = COMPLETED ] || fail "the merge after re-running shard 2 did not complete"
grep -q '"index": 2' "$out/fail/shards/2/shard.json" || fail "the re-run task did not write shard 2"
same_files "$out/single" "$out/fail/results" report
pass "the failed shard re-run alone (--only 2): shard 2 of 3, then the single run's result"

echo "slurm: $passed passed, 0 failed"
