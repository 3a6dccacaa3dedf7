#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing: Chromium for the live-view browser test, redis-server
# for the Redis session store's tests (started by the tests as a child process on loopback, never as a service).
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if ((${#need[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "missing Debian packages: ${need[*]} (run: sudo apt-get install -y ${need[*]})" >&2
    exit 2
  fi
  echo "installing Debian packages: ${need[*]}" >&2
  apt-get update -qq
  # policy-rc.d: the package's post-install must not start a system-wide redis-server (the tests start their own).
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
