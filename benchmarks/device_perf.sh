#!/usr/bin/env bash
# The issue-14 measurements on a many-core machine (used on the lent 16-core machine, Python 3.12, with
# pybullet built from source and gymnasium / stable-baselines3 / daqp carried as wheels; see docs/performance.md).
# Writes one Markdown file per benchmark into ${OUT:-results/device}. Each step has its own time limit so that one
# slow step cannot take the others' time.
set -u
OUT=${OUT:-results/device}
mkdir -p "$OUT"
PY=${PY:-python3}
{ echo "# machine"; nproc; $PY -c 'import platform, sys; print(platform.processor() or platform.machine(), sys.version)';
  grep -m1 "model name" /proc/cpuinfo; } > "$OUT/machine.txt" 2>&1
run() {  # name limit_s command...
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS
  timeout -s INT "$limit" "$@" > "$OUT/$name.md" 2> "$OUT/$name.err"
  echo "$name: exit $? in $((SECONDS - t0)) s" | tee -a "$OUT/steps.txt"
}
# "${PIN[@]}" CPUS command...: run pinned to those cores (children inherit it)
PIN=("$PY" -c 'import os, sys; os.sched_setaffinity(0, {int(c) for c in sys.argv[1].split(",")}); os.execvp(sys.argv[2], sys.argv[2:])')
run scaling 120 $PY -m benchmarks.scaling --repeats 2
run env_speed 90 $PY -m benchmarks.env_speed --robots laikago_fast,laikago
run train_throughput 180 "${PIN[@]}" 0,1 $PY -m benchmarks.train_throughput --envs 2 --timesteps 40000 \
    --env-steps 6000 --repeats 1 --compare --cli
run bench_suite "${BENCH_LIMIT:-150}" $PY -m train.cli bench --workers "$(nproc)" --episodes "${BENCH_EPISODES:-2}" \
    --no-progress --out "$OUT/suite"
