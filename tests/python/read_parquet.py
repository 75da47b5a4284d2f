"""pandas (through pyarrow) reads a `ccgsim run --format parquet` result with
the exact column types, and the same values as the CSV result of the same run.

Usage: python read_parquet.py CSV_RESULT_DIR PARQUET_RESULT_DIR
Prints one line per table and a closing "N passed, 0 failed"; exits 1 on the
first difference.
"""

import sys

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

KEYS = {"replicate", "ccg", "practices", "month", "failed", "failed_month"}
# practices.parquet (`--practices`): its integer columns (docs/ODD.md §6).
PRACTICE_INTS = {"replicate", "ccg", "month", "practice", "locality", "conflicted",
                 "leader", "tenure", "engagement"}


def check(csv_path, pq_path, keys=KEYS):
    schema = pq.read_schema(pq_path)
    for field in schema:
        if field.name == "scenario":
            want = pa.string()
        elif field.name in keys:
            want = pa.int64()
        else:
            want = pa.float64()
        assert field.type == want, f"{pq_path}: {field.name} is {field.type}, not {want}"
        if field.name in keys - {"failed_month"} or field.name == "scenario":
            assert not field.nullable, f"{field.name} should be required"
    meta = pq.ParquetFile(pq_path).metadata
    assert meta.created_by.startswith("ccgsim "), meta.created_by
    # Snappy, except chunks Snappy would not shrink (stored uncompressed);
    # the keys of a run's rows (repeated) are never raw values: Snappy shrinks
    # them, or they are dictionary indices.
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            col = meta.row_group(g).column(c)
            coded = "RLE_DICTIONARY" in col.encodings
            assert coded == col.has_dictionary_page, col
            if col.compression == "UNCOMPRESSED":
                assert coded or col.path_in_schema not in {"scenario", "replicate", "ccg"}, col
                assert col.total_compressed_size == col.total_uncompressed_size, col
            else:
                assert col.compression == "SNAPPY", col

    got = pd.read_parquet(pq_path)
    # The correctly rounded parse of the CSV's text (pandas 3's default; older
    # pandas needs float_precision="round_trip").
    precise = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
    want = pd.read_csv(csv_path, dtype={"scenario": str}, keep_default_na=False,
                       na_values={c: [""] for c in got.columns if c != "scenario"},
                       **precise)
    assert list(got.columns) == list(want.columns), (list(got.columns), list(want.columns))
    assert len(got) == len(want), (len(got), len(want))
    for name in got.columns:
        a, b = got[name], want[name]
        if name == "scenario":
            assert pd.api.types.is_string_dtype(a) and (a == b).all(), name
        elif name in keys and not b.isna().any():
            assert a.dtype == np.int64 and b.dtype == np.int64, (name, a.dtype, b.dtype)
            assert (a.to_numpy() == b.to_numpy()).all(), name
        else:
            x, y = a.to_numpy(dtype=np.float64), b.to_numpy(dtype=np.float64)
            assert a.dtype == np.float64, (name, a.dtype)
            assert np.array_equal(x, y, equal_nan=True), name
    nulls = int(got.isna().sum().sum())
    print(f"ok {pq_path}: {len(got)} rows x {len(got.columns)} columns, "
          f"exact types, same values as the CSV ({nulls} missing cells)")


def main():
    csv_dir, pq_dir = sys.argv[1], sys.argv[2]
    passed = 0
    for table in ["timeseries", "summary"]:
        check(f"{csv_dir}/{table}.csv", f"{pq_dir}/{table}.parquet")
        passed += 1
    import os
    if os.path.exists(f"{pq_dir}/practices.parquet"):
        check(f"{csv_dir}/practices.csv", f"{pq_dir}/practices.parquet", PRACTICE_INTS)
        passed += 1
    print(f"pyarrow {pa.__version__}, pandas {pd.__version__}")
    print(f"{passed} passed, 0 failed")


if __name__ == "__main__":
    main()
