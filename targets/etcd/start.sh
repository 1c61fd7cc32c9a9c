#!/bin/sh
# The etcd node's main process (targets/etcd/): runs at the container's first start and again
# at every restart after a kill. The members' addresses are known only once every container
# exists, so the control process writes them into $conf (targets/etcd/cluster.ts); wait for
# the whole file (its last line is END=1), then become etcd.
# The data directory is on the container's own disk: a killed member restarts from its WAL and
# snapshot, and etcd then ignores the --initial-cluster* flags (they only bootstrap a new one).
set -eu
dir=/var/lib/faultline/etcd
conf="$dir/cluster.conf"
until grep -qx 'END=1' "$conf" 2>/dev/null; do sleep 0.1; done
. "$conf"
echo "faultline-etcd: starting etcd as $NAME ($SELF_IP), cluster $CLUSTER" >&2
# Heartbeat 100 ms and election timeout 1000 ms (etcd's defaults, written out): a member cut
# off for one nemesis interval (5 s by default) loses its leader after about one second.
exec etcd \
  --name "$NAME" \
  --data-dir "$dir/data" \
  --listen-client-urls http://0.0.0.0:2379 \
  --advertise-client-urls "http://$SELF_IP:2379" \
  --listen-peer-urls http://0.0.0.0:2380 \
  --initial-advertise-peer-urls "http://$SELF_IP:2380" \
  --initial-cluster "$CLUSTER" \
  --initial-cluster-token "$TOKEN" \
  --initial-cluster-state new \
  --heartbeat-interval 100 \
  --election-timeout 1000 \
  --logger zap \
  --log-outputs stderr
