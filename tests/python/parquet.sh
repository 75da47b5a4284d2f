#!/usr/bin/env bash
# CI check (issue #17): pandas, through pyarrow, reads a Parquet run result with
# its exact column types and the CSV result's values. Installs pyarrow and pandas
# from PyPI into a venv under target/ (kept between runs); about 20 s the first time.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=target/release/ccgsim
[ -x "$bin" ] || cargo build --release
venv=target/pyvenv
py=python3
command -v python3.11 >/dev/null && py=python3.11
if ! "$venv/bin/python" -c "import pyarrow, pandas" 2>/dev/null; then
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check pyarrow pandas
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# One-practice CCGs beside larger ones: member shares are undefined (empty
# cells, nulls) in some rows.
cat > "$tmp/s.toml" <<'TOML'
[scenario]
name = "pyarrow check"
months = 36
replicates = 4
seed = 3
[population]
practices = [1, 12, 40]
TOML
# With the per-practice table too (every 6th month).
"$bin" run "$tmp/s.toml" --out "$tmp/csv" --no-plots -q --practices --practices-every 6
"$bin" run "$tmp/s.toml" --out "$tmp/pq" --format parquet --no-plots -q --practices --practices-every 6
"$venv/bin/python" tests/python/read_parquet.py "$tmp/csv" "$tmp/pq"
