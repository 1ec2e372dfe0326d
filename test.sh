#!/usr/bin/env bash
# The benchmark suite: every scenario (tests/*.yml, or those given) for N rounds, on this machine (--local,
# the default: ./emnist train) or on an OpenFaaS cluster (--cluster: faas-cli deploys each scenario's overlay,
# then ./emnist train --gateway creates the job through emnist-setup and follows its status). Each round is
# bounded by --timeout; a failed round is reported and the next one runs. Raw results are appended to
# output.txt; at the end results.md (per scenario: Round, Time (s), Iterations, a column per worker, Avg and
# Stdev rows) and scenarios.png are written to the run's folder. Nothing committed is overwritten: the published
# figures (results.md at the top) change only when someone copies a run's results.md there on purpose.
#
#   ./test.sh [--local | --cluster] [--rounds N] [--timeout SECONDS] [scenario files...]
#   cluster mode reads OPENFAAS_URL (default http://127.0.0.1:8080) and needs faas-cli; kubectl is optional
#   (it checks the queue-worker replicas and collects every emnist-train pod's 'Worker ID' lines, as the
#   docs/operators.md does).
set -uo pipefail
cd "$(dirname "$0")"
mode=local
rounds=3
timeout=900
scenarios=()
while [ $# -gt 0 ]; do
  case "$1" in
    --local) mode=local ;;
    --cluster) mode=cluster ;;
    --rounds) rounds="$2"; shift ;;
    --timeout) timeout="$2"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "test.sh: unknown option $1" >&2; exit 2 ;;
    *) scenarios+=("$1") ;;
  esac
  shift
done
[ ${#scenarios[@]} -gt 0 ] || scenarios=(tests/*.yml)
case "$rounds" in ''|*[!0-9]*|0) echo "test.sh: --rounds needs a positive number" >&2; exit 2 ;; esac
for s in "${scenarios[@]}"; do
  [ -f "$s" ] || { echo "test.sh: no scenario file $s" >&2; exit 2; }
done
if [ "$mode" = cluster ]; then
  command -v faas-cli >/dev/null || { echo "test.sh: --cluster needs faas-cli on PATH" >&2; exit 2; }
  gateway="${OPENFAAS_URL:-http://127.0.0.1:8080}"
  echo "faas-cli $(faas-cli version --short-version 2>/dev/null | tail -1) (0.11.6 or later is needed), gateway $gateway"
fi
# cluster_warnings SCENARIO: what keeps the scenario's workers from running side by side on OpenFaaS CE.
cluster_warnings() {
  local workers pods queue_workers
  workers=$(./emnist scenario "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("workers", 2))')
  pods=$(sed -n 's/.*com.openfaas.scale.min: *"\{0,1\}\([0-9]*\).*/\1/p' "$1" | head -1)
  if [ -n "$pods" ] && [ "$pods" -gt 5 ]; then
    echo "warning: $(basename "$1"): OpenFaaS CE runs at most 5 pods of a function, not $pods: $workers workers share 5 pods"
  fi
  if command -v kubectl >/dev/null; then
    queue_workers=$(kubectl -n openfaas get deploy queue-worker -o jsonpath='{.spec.replicas}' 2>/dev/null)
    if [ -n "$queue_workers" ] && [ "$queue_workers" -lt "$workers" ]; then
      echo "warning: $(basename "$1"): $queue_workers queue-worker(s) deliver one slice each at a time: $workers workers take turns (docs/operators.md)"
    fi
  fi
}

run="tests/results/$(date +%Y%m%d-%H%M%S)-$mode"
mkdir -p "$run"
echo "== $mode benchmark: ${#scenarios[@]} scenario(s) x $rounds round(s), results in $run"
for s in "${scenarios[@]}"; do
  name="$(basename "$s" .yml)"
  mkdir -p "$run/$name"
  if [ "$mode" = cluster ]; then
    # shellcheck disable=SC2046
    if ! faas-cli deploy -f emnist.yml --filter emnist-train $(./emnist scenario --deploy-flags "$s") \
        > "$run/$name/deploy.log" 2>&1; then
      for r in $(seq 1 "$rounds"); do echo "deploy failed: $(tail -1 "$run/$name/deploy.log")" > "$run/$name/round-$r.failed"; done
      echo "$name: deploy failed (see $run/$name/deploy.log)" | tee -a output.txt
      continue
    fi
  fi
  for r in $(seq 1 "$rounds"); do
    dir="$run/$name/round-$r"
    log="$dir.log"
    mkdir -p "$dir"
    if [ "$mode" = cluster ]; then
      since=$(date -u +%Y-%m-%dT%H:%M:%SZ)
      cluster_warnings "$s" | tee "$log"
      timeout "$timeout" ./emnist train --gateway "$gateway" --scenario "$s" --results "$dir" --timeout "$timeout" \
        >> "$log" 2>&1
      rc=$?
      if command -v kubectl >/dev/null; then
        # Every pod's lines (a selector alone shows 10 per pod), each prefixed with its pod.
        kubectl -n openfaas-fn logs -l faas_function=emnist-train --prefix --tail=-1 --since-time="$since" \
          2>/dev/null | grep 'Worker ID' >> "$log"
      fi
    else
      timeout "$timeout" ./emnist train --scenario "$s" --results "$dir" --timeout "$timeout" > "$log" 2>&1
      rc=$?
    fi
    summary="$(grep -E '^(reached|finished|cancelled)' "$log" | tail -1)"
    if [ -z "$(find "$dir" -name result.json -print -quit)" ]; then
      reason="exit $rc$([ $rc = 124 ] && echo ", timed out after ${timeout} s"): $(tail -1 "$log")"
      echo "$reason" > "$dir.failed"
      rmdir "$dir" 2>/dev/null
      summary="FAILED ($reason)"
    fi
    echo "$(date -Is) $mode $name round $r: $summary" | tee -a output.txt
    grep 'Worker ID' "$log" >> output.txt
  done
done
./emnist report "$run" > /dev/null
echo "== wrote $run/results.md and $run/scenarios.png (to publish them: cp $run/results.md results.md)"
