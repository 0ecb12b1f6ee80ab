#!/usr/bin/env bash
# The issue's scripted check, as a shell script (tests/test_scripted_check.py runs the same
# steps under pytest). Usage: tests/scripted_check.sh   (PYTHON=… to pick the interpreter)
# Uses jq when it is installed, else reads the JSON with Python.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-$ROOT/.venv/bin/python}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"  # no .env here
export DATABASE_URL=sqlite+aiosqlite:///$TMP/b.db
bot() { "$PYTHON" -m bot "$@"; }
json_code() {
    if command -v jq >/dev/null 2>&1; then
        jq -r .code
    else
        "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["code"])'
    fi
}

bot db upgrade
bot units add TU-BD "Tỉnh ủy Bình Định" --level tinh
bot units add HU-TP "Huyện ủy Tuy Phước" --parent TU-BD --level huyen
bot units add HU-AN "Huyện ủy An Nhơn" --parent TU-BD --level huyen
CODE=$(bot invite HU-TP --json | json_code)
printf '/dangky %s\n/baocao 3.3 hoan thanh Da ban hanh ke hoach VTVL\n' "$CODE" | bot console --user u1
bot admins add console:boss
MISSING=$(printf '/chuabaocao 3.3\n' | bot console --user boss)
printf '%s\n' "$MISSING"
bot export progress "$TMP/p.xlsx"

fail() { echo "FAILED: $*" >&2; exit 1; }
grep -q 'HU-AN\|An Nhơn' <<<"$MISSING" || fail "/chuabaocao 3.3 does not list HU-AN"
! grep -q 'HU-TP\|Tuy Phước' <<<"$MISSING" || fail "/chuabaocao 3.3 lists HU-TP"
"$PYTHON" - "$TMP/p.xlsx" <<'PY' || fail "the export has no row HU-TP / 3.3 / hoàn thành / note"
import sys

import openpyxl

rows = list(openpyxl.load_workbook(sys.argv[1])["Tiến độ"].iter_rows(values_only=True))[1:]
picked = [(r[0], r[3], r[5], r[7]) for r in rows]
print(picked)
assert picked == [("HU-TP", "3.3", "hoàn thành", "Da ban hanh ke hoach VTVL")], picked
PY
echo "OK: scripted check passed"
