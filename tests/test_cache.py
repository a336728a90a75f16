"""The build cache's store (builder/cache.py Store): entries kept in a pack file a kind with an
index, found again by key, never stale, damaged entries missed not used, and a cache that holds the
last build's results and not much more, however many builds it has seen."""

from __future__ import annotations

import hashlib
from pathlib import Path

from builder import cache


def entry(i: int, size: int = 1000) -> bytes:
    return hashlib.sha256(b"%d" % i).digest() * (size // 32)


def keys(n: int) -> list[str]:
    return [cache.key("test", i) for i in range(n)]


def one_build(out: Path, puts: dict[str, bytes] = {}, gets: list[str] = (), kind: str = "k") -> dict:
    """A build's use of the store: what it found of gets, then puts, then finish (the staging
    folder as in builder/build.py)."""
    store = cache.open(out, pending=out / "staging")
    found = {k: store.get(kind, k) for k in gets}
    for k, data in puts.items():
        store.put(kind, k, data)
    store.finish()
    return found


def pack_bytes(out: Path, kind: str = "k") -> int:
    return sum(p.stat().st_size for p in (out / ".cache" / kind).glob("*.pack"))


def test_entries_are_found_by_their_key_in_one_pack_a_kind(tmp_path):
    out = tmp_path / "out"
    ks = keys(50)
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    assert [p.name for p in (out / ".cache" / "k").iterdir() if p.suffix == ".pack"] != []
    assert len(list((out / ".cache" / "k").iterdir())) == 2  # one pack and its index, not 50 files
    found = one_build(out, gets=ks + [cache.key("test", "never put")])
    assert [found[k] for k in ks] == [entry(i) for i in range(50)]
    assert found[cache.key("test", "never put")] is None
    assert sorted(cache.entries(out, "k")) == sorted(ks)


def test_an_entry_put_is_found_in_the_same_build(tmp_path):
    store = cache.open(tmp_path / "out", pending=tmp_path / "staging")
    k = cache.key("same build")
    store.put("k", k, b"made now")
    assert store.has("k", k) and store.get("k", k) == b"made now"
    store.finish()


def test_what_a_build_did_not_use_is_dropped_and_untouched_kinds_stay(tmp_path):
    out = tmp_path / "out"
    ks = keys(10)
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    one_build(out, {"other": b"of another kind"}, kind="other")
    one_build(out, gets=ks[:7])  # three not used: gone
    assert sorted(cache.entries(out, "k")) == sorted(ks[:7])
    assert list(cache.entries(out, "other")) == ["other"]  # a kind this build did not touch
    assert one_build(out, gets=ks)[ks[9]] is None


def test_a_mostly_dead_pack_is_copied_and_removed_so_the_cache_stays_bounded(tmp_path):
    out = tmp_path / "out"
    ks = keys(10)
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    full = pack_bytes(out)
    one_build(out, gets=ks[:6])  # more than half still used: the pack stays as it is
    assert pack_bytes(out) == full
    one_build(out, gets=ks[:4])  # less than half: what is used copied into a new pack, the old one removed
    assert pack_bytes(out) == 4 * (32 + len(entry(0)))
    found = one_build(out, gets=ks[:4])
    assert [found[k] for k in ks[:4]] == [entry(i) for i in range(4)]
    for n in range(40):  # a rebuild after each edit: one entry made again each time
        edited = cache.key("test", "edited", n)
        one_build(out, {edited: entry(100 + n)}, gets=ks[:3])  # the fourth edited: made again
        ks[3] = edited
        assert pack_bytes(out) <= 2 * 4 * (32 + len(entry(0))) + 32 + len(entry(0))
    assert sorted(cache.entries(out, "k")) == sorted(ks[:4])


def test_a_damaged_entry_is_missed_and_made_again(tmp_path):
    out = tmp_path / "out"
    ks = keys(3)
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    pack, offset, length = cache.entries(out, "k")[ks[1]]
    data = bytearray(pack.read_bytes())
    data[offset + 32 + length - 1] ^= 1
    pack.write_bytes(bytes(data))
    found = one_build(out, gets=ks)
    assert found[ks[0]] == entry(0) and found[ks[1]] is None and found[ks[2]] == entry(2)
    one_build(out, {ks[1]: entry(1)}, gets=[ks[0], ks[2]])
    assert one_build(out, gets=ks) == {k: entry(i) for i, k in enumerate(ks)}


def test_a_damaged_or_cut_pack_or_index_is_a_miss_never_an_error(tmp_path):
    out = tmp_path / "out"
    ks = keys(3)
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    pack, _, _ = cache.entries(out, "k")[ks[0]]
    pack.write_bytes(pack.read_bytes()[:-10])  # cut short: the last entry is damaged
    assert one_build(out, gets=ks)[ks[2]] is None
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    index = out / ".cache" / "k" / "index"
    index.write_text(index.read_text() + "not an entry\n")
    assert one_build(out, gets=ks) == dict.fromkeys(ks)  # every entry of the kind missed
    one_build(out, {k: entry(i) for i, k in enumerate(ks)})
    index.write_text(index.read_text().replace(" 0 ", " ../../x 0 ", 1))  # no pack outside the kind's folder
    assert one_build(out, gets=ks) == dict.fromkeys(ks)


def test_a_build_that_fails_keeps_nothing(tmp_path):
    out, staging = tmp_path / "out", tmp_path / "staging"
    one_build(out, {"kept": b"from a build that succeeded"})
    store = cache.open(out, pending=staging)
    store.put("k", "new", b"from a build that failed")
    store.get("k", "kept")
    store.close()  # no finish: the build failed; its staging folder goes with it
    assert sorted(cache.entries(out, "k")) == ["kept"]
    assert not cache.open(out).has("k", "new")


def test_no_cache_keeps_nothing(tmp_path):
    cache.configure(use=False)
    try:
        store = cache.open(tmp_path / "out", pending=tmp_path / "staging")
        store.put("k", "a", b"x")
        assert store.get("k", "a") is None
        store.finish()
    finally:
        cache.configure(use=True)
    assert not (tmp_path / "out").exists() and not (tmp_path / "staging").exists()
