#!/usr/bin/env bash
# Run by `npm test` before anything else: makes sure the system programs the tests need exist.
#   redis-server      the Redis backend tests start their own, on a free loopback port
#   /usr/bin/chromium the HTML report test drives it with playwright-core
# As root with apt-get, missing ones are installed (non-interactively: works under CI=true with
# no stdin). Otherwise it stops with one line naming what is missing and how to get it, so the
# run never starts half-equipped.
set -euo pipefail

missing() {
  need=()
  command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
  [ -x /usr/bin/chromium ] || need+=(chromium)
}

missing
[ "${#need[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "npm test: installing ${need[*]} with apt-get (the tests need them)" >&2
  export DEBIAN_FRONTEND=noninteractive
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  wanted=("${need[@]}")
  if apt-get update -qq </dev/null >"$log" 2>&1 &&
    apt-get install -y -qq --no-install-recommends "${wanted[@]}" </dev/null >>"$log" 2>&1; then
    missing
    [ "${#need[@]}" -eq 0 ] && exit 0
  fi
  cat "$log" >&2
  echo "npm test: apt-get did not provide ${wanted[*]}; install them and run npm test again" >&2
  exit 1
fi

echo "npm test: missing ${need[*]}; install with: sudo apt-get install ${need[*]} (or run npm test as root to install them)" >&2
exit 1
