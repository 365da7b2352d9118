#!/usr/bin/env bash
# Start a one-node SLURM cluster on localhost for tests/test_slurm.py (root, Debian).
# Idempotent: installs slurm-wlm and munge if missing, writes the config, starts the
# daemons and waits until the node is idle. Exits non-zero with a reason otherwise.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then echo "setup_cluster: needs root" >&2; exit 2; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
    command -v apt-get >/dev/null || { echo "setup_cluster: no apt-get" >&2; exit 2; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munge: a key readable by the munge user only, then the daemon.
mkdir -p /etc/munge /var/log/munge /run/munge /var/lib/munge
if [ ! -s /etc/munge/munge.key ]; then
    dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown -R munge:munge /etc/munge /var/log/munge /run/munge /var/lib/munge
chmod 0700 /etc/munge
chmod 0400 /etc/munge/munge.key
pgrep -x munged >/dev/null || runuser -u munge -- /usr/sbin/munged

host=$(hostname -s)
cpus=$(nproc)
memory_mb=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
# State of its own: another cluster's state files on this machine stop slurmctld.
spool=/var/spool/eobench-test
mkdir -p /etc/slurm $spool/slurmctld $spool/slurmd /var/log/slurm
cat > /etc/slurm/slurm.conf <<CONF
ClusterName=eobench-test
SlurmctldHost=${host}
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=${spool}/slurmctld
SlurmdSpoolDir=${spool}/slurmd
SwitchType=switch/none
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
NodeName=${host} CPUs=${cpus} RealMemory=${memory_mb} State=UNKNOWN
PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF
pgrep -x slurmctld >/dev/null || slurmctld || {
    echo "setup_cluster: slurmctld did not start: $(tail -n 1 /var/log/slurm/slurmctld.log)" >&2
    exit 3
}
pgrep -x slurmd >/dev/null || slurmd || {
    echo "setup_cluster: slurmd did not start: $(tail -n 1 /var/log/slurm/slurmd.log)" >&2
    exit 3
}

for _ in $(seq 60); do
    if sinfo -h -o %T 2>/dev/null | grep -qE "idle|mixed|allocated"; then
        sinfo
        exit 0
    fi
    sleep 1
done
echo "setup_cluster: the node did not come up; see /var/log/slurm/" >&2
exit 3
