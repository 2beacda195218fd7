#!/usr/bin/env bash
# Installs what the tests and the demo need when it is missing: the PostgreSQL
# and MariaDB server packages (the tests start throwaway servers from their
# binaries). Debian/Ubuntu; uses sudo when not root.
set -euo pipefail

need=()
pgbin=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$pgbin/initdb" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  need+=(postgresql)
fi
command -v psql >/dev/null || need+=(postgresql-client)
if ! command -v mariadbd >/dev/null && [ ! -x /usr/sbin/mariadbd ]; then
  need+=(mariadb-server)
fi
if ((${#need[@]})); then
  echo "deps: installing ${need[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${need[@]}"
fi
if ! command -v go >/dev/null; then
  echo "deps: Go 1.26 or later is needed on PATH (https://go.dev/dl)" >&2
  exit 1
fi
