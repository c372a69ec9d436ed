"""The cache of validated files (store/cache.py) is never stale and never trusted blindly: after
every kind of edit — new content of the same size within the same second (mtime put back), a
rename, a delete, a file made invalid and valid again, an old content restored — the commands give
byte-identical output with the cache and without it; an entry from another fazhi, a corrupt entry
or a folder others can write is not used."""

from __future__ import annotations

import json
import os
import pickle
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.test_benchmark_workspace import gen

DAY = "2020-08-06"


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cache") / "ws"
    gen.make(root, 6, n_tasks=8, seed=5, use_git=False)
    return root


def outputs(ws: Path, unit: str, *, cached: bool) -> dict[str, str]:
    """What the read-only commands print, with or without the cache."""
    env = {"FAZHI_NO_CACHE": "" if cached else "1"}
    commands = {
        "check": ["check", "--format", "json"],
        "status": ["status", "--as-of", DAY, "--format", "json"],
        "status-unit": ["status", "--unit", unit, "--as-of", DAY, "--format", "json"],
    }
    out = {}
    for name, args in commands.items():
        result = run_cli(*args, "--root", ws, env=env)
        out[name] = f"{result.exit_code}\n{result.stdout}\n{result.stderr}"
    return out


def agree(ws: Path, unit: str) -> dict[str, str]:
    first = outputs(ws, unit, cached=True)  # the unchanged files from the cache, the changed ones read
    assert outputs(ws, unit, cached=False) == first
    return first


def ledgers(ws: Path) -> list[Path]:
    return sorted((ws / "ledgers").glob("*.yaml"))


def test_cached_and_uncached_runs_agree_across_every_kind_of_edit(synthetic, tmp_path):
    ws = synthetic
    files = ledgers(ws)
    unit = files[0].stem
    before = agree(ws, unit)

    # the same size, the same second: a count moved past the day viewed, mtime and size put back
    target = files[0]
    text = target.read_text(encoding="utf-8")
    stat = target.stat()
    changed, n = re.subn(r"(- target: \w+\n\s+date: 2020-)0[1-7]", r"\g<1>09", text, count=1)
    assert n == 1
    target.write_text(changed, encoding="utf-8")
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert target.stat().st_size == stat.st_size and target.stat().st_mtime_ns == stat.st_mtime_ns
    after = agree(ws, unit)
    assert after["status-unit"] != before["status-unit"]  # the edit is seen, not an old entry

    # made invalid, then valid again
    target.write_text(changed.replace("tasks:", "tasks: [", 1), encoding="utf-8")
    broken = agree(ws, unit)
    assert broken["check"].startswith("1\n") and target.name in broken["check"]
    target.write_text(changed, encoding="utf-8")
    assert agree(ws, unit) == after

    # renamed: the unit's ledger is now a file of another name (E302), then back
    renamed = target.with_name("zz-renamed.yaml")
    target.rename(renamed)
    moved = agree(ws, unit)
    assert "E302" in moved["check"]
    renamed.rename(target)
    assert agree(ws, unit) == after

    # deleted: the unit has no ledger; then the old content comes back
    other = files[1]
    kept = other.read_bytes()
    other.unlink()
    gone = agree(ws, unit)
    assert gone["status"] != after["status"]
    other.write_bytes(kept)
    assert agree(ws, unit) == after

    # the first content restored: its entry was overwritten meanwhile, and the result is right
    target.write_text(text, encoding="utf-8")
    assert agree(ws, unit) == before


def test_plan_edits_are_seen_through_the_cache(synthetic):
    """The plan's four files are cached as one entry: an edit of any of them, of the same size in
    the same second included, a plan made invalid and a settings file removed are all seen."""
    ws = synthetic
    unit = ledgers(ws)[0].stem
    before = agree(ws, unit)

    phases = ws / "data" / "phases.yaml"  # the default deadline moved past the day viewed
    text = phases.read_text(encoding="utf-8")
    stat = phases.stat()
    assert "  due: 2020-07-31\n" in text
    phases.write_text(text.replace("  due: 2020-07-31\n", "  due: 2020-09-30\n", 1), encoding="utf-8")
    os.utime(phases, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert phases.stat().st_size == stat.st_size and phases.stat().st_mtime_ns == stat.st_mtime_ns
    later = agree(ws, unit)
    assert later["status"] != before["status"]

    tasks = ws / "data" / "tasks.yaml"
    kept = tasks.read_text(encoding="utf-8")
    tasks.write_text(kept.replace("tasks:", "tasks: [", 1), encoding="utf-8")
    broken = agree(ws, unit)
    assert "data/tasks.yaml" in broken["check"] and broken["status"] != later["status"]
    tasks.write_text(kept, encoding="utf-8")
    assert agree(ws, unit) == later

    settings = ws / "data" / "settings.yaml"  # removed: the defaults apply (and nothing is cached)
    kept_settings = settings.read_bytes()
    settings.unlink()
    agree(ws, unit)
    settings.write_bytes(kept_settings)
    phases.write_text(text, encoding="utf-8")
    assert agree(ws, unit) == before


def test_cache_entries_are_checked_before_they_are_used(tmp_path, monkeypatch):
    from fazhi_cli.store import cache as cache_module
    from fazhi_cli.store.cache import FileCache

    monkeypatch.setenv("FAZHI_CACHE_DIR", str(tmp_path / "cache"))
    ws = tmp_path / "ws"
    ws.mkdir()
    store = FileCache(ws)
    store.put("ledgers/a.yaml", b"one", {"v": 1})
    assert store.get("ledgers/a.yaml", b"one") == {"v": 1}
    assert store.get("ledgers/a.yaml", b"two") is None  # other bytes
    assert store.get("ledgers/b.yaml", b"one") is None  # other path
    # another fazhi (other reader code): every key differs
    monkeypatch.setattr(cache_module, "_fingerprint", b"another version")
    assert FileCache(ws).get("ledgers/a.yaml", b"one") is None
    monkeypatch.setattr(cache_module, "_fingerprint", None)
    # a corrupt or truncated entry is a miss, not an error
    entry = next((tmp_path / "cache").rglob("*.pickle"))
    entry.write_bytes(entry.read_bytes()[:7])
    assert FileCache(ws).get("ledgers/a.yaml", b"one") is None
    # FAZHI_NO_CACHE: nothing read or written
    monkeypatch.setenv("FAZHI_NO_CACHE", "1")
    off = FileCache(ws)
    off.put("ledgers/c.yaml", b"x", 1)
    assert off.get("ledgers/c.yaml", b"x") is None


class _Planted:
    """A pickle that, loaded, would leave a mark: what someone else could plant in a shared folder."""

    def __init__(self, mark: Path) -> None:
        self.mark = mark

    def __reduce__(self):
        return (Path.touch, (self.mark,))


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_folder_others_can_write_is_not_used(tmp_path, monkeypatch):
    from fazhi_cli.store.cache import FileCache

    monkeypatch.setenv("FAZHI_CACHE_DIR", str(tmp_path / "cache"))
    ws = tmp_path / "ws"
    ws.mkdir()
    store = FileCache(ws)
    store.put("ledgers/a.yaml", b"one", 1)
    entry = next((tmp_path / "cache").rglob("*.pickle"))
    mark = tmp_path / "loaded"
    entry.write_bytes(pickle.dumps((b"key", _Planted(mark))))
    entry.parent.chmod(0o777)
    assert FileCache(ws).get("ledgers/a.yaml", b"one") is None
    assert not mark.exists()  # never unpickled


def test_nothing_of_the_cache_is_in_the_workspace(synthetic):
    run_cli("status", "--root", synthetic, env={"FAZHI_NO_CACHE": ""})
    assert not (synthetic / ".fazhi" / "cache").exists()
    assert json.loads(run_cli("check", "--format", "json", "--root", synthetic).stdout) is not None
