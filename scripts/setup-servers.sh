#!/usr/bin/env bash
# Installs the Debian packages the real-server tests need, when they are missing.
#
# Idempotent and quiet: when everything is already there it only runs a few
# dpkg-query calls and exits. It starts nothing: the test fixtures in
# @tooz/testing start each server themselves, in a temporary directory, on a
# free loopback port. Package maintainer scripts are kept from starting the
# system services with a policy-rc.d that refuses every action (honoured by
# invoke-rc.d and by deb-systemd-invoke alike), and anything that got started
# anyway is stopped afterwards. The machine may have no systemd at all.
set -euo pipefail

# Package -> a file it must provide (checked after install, so a broken or
# partial install is reported instead of failing later inside a test).
declare -A PROVIDES=(
  [redis-server]=/usr/bin/redis-server
  [redis-sentinel]=/usr/bin/redis-sentinel
  [redis-tools]=/usr/bin/redis-cli
  [memcached]=/usr/bin/memcached
  [etcd-server]=/usr/bin/etcd
  [etcd-client]=/usr/bin/etcdctl
  [zookeeper]=/usr/share/zookeeper
  [default-jre-headless]=/usr/bin/java
  [postgresql]=/usr/lib/postgresql
  [mariadb-server]=/usr/sbin/mariadbd
  [openssl]=/usr/bin/openssl
  [procps]=/usr/bin/ps
  # Partition tests (@tooz/testing startNetns): the namespace's loopback and its packet filter.
  # iptables has no service to keep from starting; nftables' would flush the host's rules on stop.
  [iproute2]=/usr/sbin/ip
  [iptables]=/usr/sbin/iptables
  # The linux-arm64 prebuilt addons that scripts/prepack.mjs makes for the tarballs (cross compiler and arm64 libc).
  [gcc-aarch64-linux-gnu]=/usr/bin/aarch64-linux-gnu-gcc
  [libc6-dev-arm64-cross]=/usr/aarch64-linux-gnu/include/stdio.h
  # For the Python interop and benchmark scripts (python-tooz as the reference).
  [python3-tooz]=
  [python3-redis]=
  [python3-kazoo]=
  [python3-pymemcache]=
  [python3-etcd3gw]=
  [python3-psycopg2]=
  [python3-pymysql]=
  [python3-sysv-ipc]=
  # python3-consul (0.7.1) cannot start Python tooz 3.1.0's consul driver; consul2 replaces it.
  [python3-consul2]=
)
# The services each package would otherwise run system-wide.
SERVICES=(redis-server redis-sentinel memcached etcd zookeeper postgresql mariadb mysql)

log() { printf 'setup-servers: %s\n' "$*" >&2; }

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = installed ]
}

missing=()
for pkg in "${!PROVIDES[@]}"; do
  installed "$pkg" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      exec sudo -E bash "$0" "$@"
    fi
    log "need root to install: ${missing[*]}"
    exit 1
  fi
  log "installing: ${missing[*]}"

  # Keep maintainer scripts from starting services; restore what was there.
  policy=/usr/sbin/policy-rc.d
  policy_backup=
  if [ -e "$policy" ]; then
    policy_backup=$(mktemp)
    cp -p "$policy" "$policy_backup"
  fi
  restore_policy() {
    if [ -n "$policy_backup" ]; then
      mv -f "$policy_backup" "$policy"
    else
      rm -f "$policy"
    fi
  }
  trap restore_policy EXIT
  printf '#!/bin/sh\n# setup-servers.sh: start no service during install\nexit 101\n' >"$policy"
  chmod 0755 "$policy"

  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-y -q -o Dpkg::Use-Pty=0 -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  # Quiet on success; the full transcript is shown only when apt fails.
  apt_log=$(mktemp)
  if ! { apt-get update -q && apt-get install "${apt_opts[@]}" --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    cat "$apt_log" >&2
    rm -f "$apt_log"
    log "apt-get failed"
    exit 1
  fi
  rm -f "$apt_log"

  # Belt and braces: if something started anyway (a systemd unit activated by
  # a socket, a package ignoring policy-rc.d), stop it and keep it off.
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    for svc in "${SERVICES[@]}"; do
      if systemctl list-unit-files "$svc.service" >/dev/null 2>&1; then
        systemctl stop "$svc" >/dev/null 2>&1 || true
        systemctl disable "$svc" >/dev/null 2>&1 || true
      fi
    done
  else
    for svc in "${SERVICES[@]}"; do
      if [ -x "/etc/init.d/$svc" ]; then
        "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
      fi
    done
  fi
fi

# Verify what the fixtures rely on, installed just now or long ago.
broken=()
for pkg in "${!PROVIDES[@]}"; do
  path=${PROVIDES[$pkg]}
  if [ -n "$path" ] && [ ! -e "$path" ]; then broken+=("$pkg ($path)"); fi
done
if ! compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null; then
  broken+=("postgresql (/usr/lib/postgresql/*/bin/postgres)")
fi
if ! compgen -G '/usr/share/zookeeper/zookeeper*.jar' >/dev/null \
  && ! compgen -G '/usr/share/java/zookeeper*.jar' >/dev/null; then
  broken+=("zookeeper (zookeeper jar)")
fi
if [ "${#broken[@]}" -gt 0 ]; then
  log "missing after install: ${broken[*]}"
  exit 1
fi
