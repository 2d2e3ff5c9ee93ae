"""An archive in a folder that cannot be written (a mounted snapshot, another user's files)
is still read by every read-only command; a folder given as --db is named as such."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import read_only_folder, run_cli
from datasette.app import Datasette

from lpscrape.serve import make_datasette


@pytest.fixture
def locked_folder(demo_archive: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the demo archive (WAL mode, no -wal or -shm beside it) in a folder nobody
    can write: the immutable flag for root, who ignores modes, else the mode."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    db = folder / "archive.db"
    shutil.copyfile(demo_archive, db)
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone() == ("wal",)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    with read_only_folder(folder):
        yield db


def test_every_read_only_command_reads_an_archive_in_a_folder_it_cannot_write(
    locked_folder: Path,
) -> None:
    db = str(locked_folder)
    status = run_cli("status", "--db", db, "--json")
    assert status.returncode in (0, 3) and '"runs"' in status.stdout, status.stderr
    exported = run_cli("export", "csv", "--db", db, "--table", "tags")
    assert exported.returncode == 0 and exported.stdout.startswith("id,name"), exported.stderr
    url = (
        sqlite3.connect(f"{locked_folder.as_uri()}?mode=ro&immutable=1", uri=True)
        .execute("SELECT url FROM articles LIMIT 1")
        .fetchone()[0]
    )
    cited = run_cli("cite", url, "--db", db)
    assert cited.returncode == 0 and "Lord's Press" in cited.stdout, cited.stderr
    assert sorted(p.name for p in locked_folder.parent.iterdir()) == ["archive.db"]


async def test_serve_reads_an_archive_in_a_folder_it_cannot_write(locked_folder: Path) -> None:
    ds: Datasette = make_datasette(locked_folder)
    response = await ds.client.get("/archive/articles.json?_shape=array&_size=2")
    assert response.status_code == 200 and len(response.json()) == 2


def test_a_folder_given_as_the_archive_is_named_as_one(tmp_path: Path) -> None:
    for command in (["crawl", "--start-url", "http://127.0.0.1:9/"], ["status"], ["reparse"]):
        result = run_cli(*command, "--db", str(tmp_path))
        assert result.returncode == 2, (command, result.stderr)
        assert (
            result.stderr.count("\n") == 1 and "is a folder, not an archive file" in result.stderr
        )
