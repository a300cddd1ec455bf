#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what it needs (Debian's chromium, chromium-driver and
# fonts-noto-cjk for the browser tests; the Python packages with the test extra), starts PostgreSQL and
# Redis if this machine has them stopped, then runs pytest on two workers. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
for pkg in chromium chromium-driver fonts-noto-cjk; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

# The machine starts these before a session; start them again if they stopped (commands from its docs).
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null && command -v pg_ctlcluster >/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if ! (command -v redis-cli >/dev/null && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1) && command -v redis-server >/dev/null; then
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi

# Two workers (pytest-xdist; CITYOPS_TEST_WORKERS=0 runs in this process), each taking whole files, so a
# module's fixtures (an app process, a generated history) are built once.
exec python3 -m pytest -p no:cacheprovider -n "${CITYOPS_TEST_WORKERS:-2}" --dist loadfile "$@"
