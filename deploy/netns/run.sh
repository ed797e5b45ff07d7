#!/usr/bin/env bash
# One P2PSim network as several processes, each in its own Linux network namespace: as separate hosts would be, each
# with its own address and its own loopback, joined by a virtual bridge. One slice of an experiment runs per namespace;
# the slices' parts are merged into one report at the end.
#
#   sudo deploy/netns/run.sh [options] [-- extra settings for every slice]
#
# Options (defaults in brackets):
#   --slices N        namespaces, one slice each [3]
#   --peers N         peers per slice [30]; the network has N x slices peers
#   --seeds N         seeds, one each in slices 0 .. N-1; the other slices run peers only [one per slice]
#   --workload W      burst, classic or crash [crash]
#   --messages N      messages published (burst, crash) [20]
#   --lead SECONDS    time from now to Experiment:StartAt, for the peers to join [10 + peers/50]
#   --out DIR         where the slices' output, parts and merged report go [./netns-<tag>]
#   --dll PATH        the P2PSim.dll to run [src/P2PSim/bin/Release/net10.0/P2PSim.dll, built if missing]
#   --tag NAME        prefix of every namespace and link this run makes, at most 8 characters [p2p + 5 random hex]
#   --subnet A.B.C    the namespaces get A.B.C.11, .12, ... on the bridge [10.213.0]
#   --keep            leave the namespaces and the bridge in place at the end (for a look with ip netns exec)
#
# What it makes: namespaces <tag>-0 .. <tag>-(N-1), a bridge <tag>-br, and per namespace a veth pair (<tag>-v<i> on the
# bridge, eth0 inside). Every slice binds to its namespace's address; slice i runs seed i (seed-<i> at A.B.C.(11+i):5000)
# if i < --seeds, and peers i x peers ... The run's settings are the experiment's, with a 1 s liveness interval unless overridden after --.
# It removes everything it made when it ends, also on failure, Ctrl+C or SIGTERM: the slices (and anything else still
# running in its namespaces), the namespaces, the bridge and the veth pairs.
#
# Exit codes: 0 when every slice and the merge succeeded; 1 when one did not (the output says which); 2 for bad options;
# 77 when namespaces cannot be made here (not root, no ip, no netns support), with the reason on stderr.
set -u -o pipefail

slices=3
peers=30
seeds=""
workload=crash
messages=20
lead=""
out=""
dll=""
tag="p2p$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n' | cut -c1-5)"
subnet=10.213.0
keep=0
extra=()

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --slices) slices=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --seeds) seeds=$2; shift 2 ;;
    --workload) workload=$2; shift 2 ;;
    --messages) messages=$2; shift 2 ;;
    --lead) lead=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --dll) dll=$2; shift 2 ;;
    --tag) tag=$2; shift 2 ;;
    --subnet) subnet=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "run.sh: unknown option $1 (--help lists them)" >&2; exit 2 ;;
  esac
done
[ -n "$seeds" ] || seeds=$slices
case "$slices$peers$messages$seeds" in *[!0-9]*|'') echo "run.sh: --slices, --peers, --seeds and --messages take numbers" >&2; exit 2 ;; esac
if [ "$slices" -lt 1 ] || [ "$slices" -gt 200 ]; then echo "run.sh: --slices must be 1-200 (was $slices)" >&2; exit 2; fi
if [ "$seeds" -lt 1 ] || [ "$seeds" -gt "$slices" ]; then echo "run.sh: --seeds must be 1-$slices, one per slice at most (was $seeds)" >&2; exit 2; fi
if [ "${#tag}" -gt 8 ] || ! [[ "$tag" =~ ^[a-z][a-z0-9]*$ ]]; then
  echo "run.sh: --tag must be 1-8 lower-case letters and digits, starting with a letter (was '$tag'): link names may have 15 characters" >&2; exit 2
fi
[ -n "$lead" ] || lead=$((10 + peers / 50))
here=$(cd "$(dirname "$0")/../.." && pwd)
[ -n "$out" ] || out="$PWD/netns-$tag"

# Can namespaces be made here at all? Say why not, and exit 77 (skipped).
if [ "$(id -u)" != 0 ]; then echo "run.sh: needs root (ip netns add), running as $(id -un)" >&2; exit 77; fi
if ! command -v ip >/dev/null; then echo "run.sh: no 'ip' command (iproute2) on this machine" >&2; exit 77; fi
if ! ip netns add "$tag-probe" 2>/tmp/"$tag"-probe.err; then
  echo "run.sh: cannot create a network namespace here: $(cat /tmp/"$tag"-probe.err)" >&2; rm -f /tmp/"$tag"-probe.err; exit 77
fi
ip netns del "$tag-probe"; rm -f /tmp/"$tag"-probe.err

if [ -z "$dll" ]; then
  dll="$here/src/P2PSim/bin/Release/net10.0/P2PSim.dll"
  if [ ! -f "$dll" ]; then
    echo "Building P2PSim (Release) ..."
    dotnet build -c Release "$here/src/P2PSim" -v q -nologo >/dev/null || { echo "run.sh: the build failed" >&2; exit 1; }
  fi
fi
[ -f "$dll" ] || { echo "run.sh: no P2PSim.dll at $dll" >&2; exit 2; }
dotnet=$(command -v dotnet) || { echo "run.sh: no dotnet on PATH" >&2; exit 2; }
mkdir -p "$out/parts" || exit 2

pids=()
cleanup() {
  local code=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for i in $(seq 0 $((slices - 1))); do
    # Anything still running in the namespace (a slice, a child of it) goes with it.
    for pid in $(ip netns pids "$tag-$i" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
  done
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  if [ "$keep" = 1 ] && [ "$code" = 0 ]; then
    echo "Kept: namespaces $tag-0..$tag-$((slices - 1)), bridge $tag-br (remove with: ip netns del <name>; ip link del $tag-br)"
    exit "$code"
  fi
  for i in $(seq 0 $((slices - 1))); do
    ip link del "$tag-v$i" 2>/dev/null
    ip netns del "$tag-$i" 2>/dev/null
  done
  ip link del "$tag-br" 2>/dev/null
  exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The bridge, and per slice a namespace with one end of a veth pair (eth0) and its address; the other end on the bridge.
ip link add "$tag-br" type bridge || exit 1
ip link set "$tag-br" up || exit 1
for i in $(seq 0 $((slices - 1))); do
  ns="$tag-$i"
  ip netns add "$ns" || exit 1
  ip link add "$tag-v$i" type veth peer name eth0 netns "$ns" || exit 1
  ip link set "$tag-v$i" master "$tag-br" up || exit 1
  ip -n "$ns" addr add "$subnet.$((11 + i))/24" dev eth0 || exit 1
  ip -n "$ns" link set eth0 up || exit 1
  ip -n "$ns" link set lo up || exit 1
done

total=$((slices * peers))
start=$(date -u -d "+$lead seconds" +%FT%TZ)
settings=(experiment "--Experiment:Peers=$total" "--Experiment:Workload=$workload" "--Experiment:Messages=$messages"
  "--Experiment:StartAt=$start" "--Experiment:ReportPath=$out/parts/run.json" "--Slice:Count=$slices"
  "--Peer:LivenessInterval=00:00:01" "--Network:PeerBasePort=6000")
for i in $(seq 0 $((seeds - 1))); do
  settings+=("--Network:Seeds:$i:Name=seed-$i" "--Network:Seeds:$i:Host=$subnet.$((11 + i))" "--Network:Seeds:$i:Port=5000")
done
settings+=("${extra[@]}")

echo "P2PSim over $slices network namespaces ($tag-0..$tag-$((slices - 1)), bridge $tag-br, $subnet.11-$((10 + slices))): $total peers, $seeds seeds, $workload, start $start"
for i in $(seq 0 $((slices - 1))); do
  (cd "$out" && exec ip netns exec "$tag-$i" "$dotnet" "$dll" "${settings[@]}" "--Slice:Index=$i" "--Slice:BindAddress=$subnet.$((11 + i))" \
    >"$out/slice$i.txt" 2>&1) &
  pids+=($!)
done

failed=0
for i in $(seq 0 $((slices - 1))); do
  if wait "${pids[$i]}"; then
    echo "slice $i: $(grep -m1 '^Resources here' "$out/slice$i.txt")"
  else
    echo "slice $i failed (exit $?); the end of its output ($out/slice$i.txt):"; tail -n 15 "$out/slice$i.txt"; failed=1
  fi
done
pids=()
[ "$failed" = 0 ] || exit 1

parts=()
for i in $(seq 0 $((slices - 1))); do parts+=("$out/parts/run.slice$i.json"); done
"$dotnet" "$dll" merge "${parts[@]}" >"$out/merge.txt" 2>&1 || { echo "merge failed:"; cat "$out/merge.txt"; exit 1; }
sed -n '1,/^$/p' "$out/merge.txt"
grep -E '^  (seeds / peers|degree min|connected|deliveries / expected|reliability|time to reach all|crashed peers|detected at every seed|detection p50|live peers reported dead|cpu time|peak working set|heap per peer|open files)' "$out/merge.txt"
echo "Merged report: $out/parts/run.json (and .html); every slice's output: $out/slice<i>.txt; the merge's: $out/merge.txt"
