#!/usr/bin/env bash
# Exit 0 when PostgreSQL at $1 answers; exit 3 ("skip") when it does not and CI is not true;
# exit 1 when it does not and CI=true (CI must run the suite on both databases).
set -u
url="$1"
if .venv/bin/python - "$url" <<'PY'
import sys
import psycopg
try:
    psycopg.connect(sys.argv[1], connect_timeout=3).close()
except Exception as exc:  # noqa: BLE001
    print(f"PostgreSQL not reachable at {sys.argv[1]}: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  exit 0
fi
if [ "${CI:-}" = "true" ]; then
  echo "CI=true: PostgreSQL is required and is not reachable — failing." >&2
  exit 1
fi
echo "SKIPPED: PostgreSQL suite (not reachable; set PG_URL=... or start PostgreSQL)." >&2
exit 3
