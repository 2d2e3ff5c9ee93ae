"""`lpscrape export` never harms what it does not write: not the archive it reads (however
`-o` spells it), not a file a symlink planted at its temporary name points to, not a folder
that is not its own; and `--excel` keeps a spreadsheet from running scraped text as formulas."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import read_only_folder, run_cli
from datasette.app import Datasette

from lpscrape.cli import EXIT_USAGE, main
from lpscrape.export import DATASETTE_MARKER, export
from lpscrape.serve import TEMPLATES_DIR

# Text a hostile site publishes to be run by a spreadsheet (OWASP's CSV injection examples).
FORMULAS = {
    "title": '=HYPERLINK("http://127.0.0.2:18942/x","Click")',
    "byline": "+cmd|' /C calc'!A0",
    "dateline": "-2+3+cmd|' /C calc'!A0",
    "weather_location": "\t=1+1",
}


def copy_archive(source: Path, db: Path) -> Path:
    """A consistent copy of an archive (SQLite's backup: the WAL's pages included)."""
    src, dst = sqlite3.connect(source), sqlite3.connect(db)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


@pytest.fixture
def archive(demo_archive: Path, tmp_path: Path) -> Path:
    """A copy of the demo archive, alone in its folder."""
    folder = tmp_path / "data"
    folder.mkdir()
    return copy_archive(demo_archive, folder / "a.db")


def tree(folder: Path) -> dict[str, str]:
    """Everything under `folder`: each file's SHA-256, each symlink's target, each folder."""
    found = {}
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            found[name] = "-> " + os.readlink(path)
        elif path.is_dir():
            found[name] = "folder"
        else:
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def refused(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    """The one `lpscrape:` line on stderr with which `main(argv)` exits 2."""
    assert main(argv) == EXIT_USAGE
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lpscrape: "), lines
    return lines[0]


SPELLINGS = ("itself", "symlink", "dot-dot", "hard link", "-wal", "-shm", "-journal")


def spell(db: Path, spelling: str) -> str:
    """An `-o` that names the archive `db` (or one of its SQLite files) some other way."""
    if spelling == "itself":
        return str(db)
    if spelling == "symlink":
        (db.parent / "link.db").symlink_to(db.name)
        return str(db.parent / "link.db")
    if spelling == "dot-dot":
        (db.parent / "sub").mkdir()
        return f"{db.parent}/sub/../{db.name}"
    if spelling == "hard link":
        os.link(db, db.parent / "same.db")
        return str(db.parent / "same.db")
    return f"{db}{spelling}"


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("fmt", ["csv", "jsonl", "warc", "datasette"])
def test_no_export_writes_over_the_archive_it_reads(
    archive: Path, capsys: pytest.CaptureFixture[str], fmt: str, spelling: str
) -> None:
    output = spell(archive, spelling)
    before = tree(archive.parent)
    line = refused(["export", fmt, "--db", str(archive), "-o", output], capsys)
    assert f"export {fmt}: -o {output} is the archive" in line and "refusing" in line
    assert tree(archive.parent) == before  # nothing written, nothing made beside it


def test_the_reviewers_commands_exit_2_and_leave_the_archive_whole(archive: Path) -> None:
    before = tree(archive.parent)
    for fmt in ("csv", "warc"):
        result = run_cli("export", fmt, "--db", str(archive), "-o", str(archive))
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stdout == "" and tree(archive.parent) == before
    assert run_cli("status", "--db", str(archive), "--json").returncode in (0, 3)


def test_a_symlink_planted_at_the_old_temporary_name_is_not_followed(
    archive: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    out = tmp_path / "out.csv"
    # The name the export's temporary file used to have, for this very process.
    planted = tmp_path / f".out.csv.{os.getpid()}.part"
    planted.symlink_to(victim)
    rows = export(archive, "csv", out)
    assert victim.read_text() == "not yours\n"
    assert planted.is_symlink() and os.readlink(planted) == str(victim)  # left alone
    assert not out.is_symlink() and len(list(csv.reader(out.open(newline="")))) == rows + 1
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part") and p != planted]
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # as a file it opened itself


def test_warc_replaces_its_output_and_never_writes_through_it(
    archive: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("not yours\n")
    out = tmp_path / "out.warc.gz"
    out.symlink_to(victim)
    result = run_cli("export", "warc", "--db", str(archive), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert victim.read_text() == "not yours\n"
    assert not out.is_symlink() and out.read_bytes()[:2] == b"\x1f\x8b"  # a gzip'd WARC
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_warc_export_that_fails_leaves_the_old_file_as_it_was(
    archive: Path, tmp_path: Path
) -> None:
    conn = sqlite3.connect(archive)  # the last capture's body cannot be read back
    conn.execute(
        "UPDATE captures SET body_gzip = ?, body_zstd = NULL, zstd_dict_id = NULL WHERE id = "
        "(SELECT max(id) FROM captures WHERE revisit_of IS NULL)",
        [b"not gzip"],
    )
    conn.commit()
    conn.close()
    out = tmp_path / "keep.warc.gz"
    out.write_bytes(b"last week's export")
    result = run_cli("export", "warc", "--db", str(archive), "-o", str(out))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "keep.warc.gz is as it was" in result.stderr
    assert out.read_bytes() == b"last week's export"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "keep.warc.gz"]


@pytest.fixture
def locked_archive(archive: Path) -> Iterator[Path]:
    """The archive (WAL mode, no -wal or -shm beside it) in a folder nobody can write: the
    immutable flag for root, who ignores modes, else the mode."""
    with read_only_folder(archive.parent):
        yield archive


def test_warc_reads_the_archive_read_only(locked_archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.warc.gz"
    result = run_cli("export", "warc", "--db", str(locked_archive), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "captures written" in result.stderr and out.stat().st_size > 10_000
    assert [p.name for p in locked_archive.parent.iterdir()] == ["a.db"]


# --- export datasette: only into a folder of its own -------------------------------------


def test_datasette_refuses_a_folder_that_is_not_its_own(archive: Path, tmp_path: Path) -> None:
    public = tmp_path / "pub"
    (public / "templates").mkdir(parents=True)
    (public / "notes.txt").write_text("mine\n")
    (public / "metadata.json").write_text('{"title": "someone else\'s"}\n')
    (public / "templates" / "mine.html").write_text("<script>alert(1)</script>\n")
    before = tree(public)
    result = run_cli("export", "datasette", "--db", str(archive), "-o", str(public))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "is not empty and is not an earlier `lpscrape export datasette` folder" in (
        result.stderr
    )
    assert tree(public) == before


def test_datasette_replaces_its_own_earlier_export_whole(archive: Path, tmp_path: Path) -> None:
    public = tmp_path / "pub"
    first = run_cli("export", "datasette", "--db", str(archive), "-o", str(public))
    assert first.returncode == 0, first.stderr
    marker = json.loads((public / DATASETTE_MARKER).read_text())
    # The copy is served as /archive/… whatever the archive's file is called (permalinks).
    assert "archive.db" in marker["files"] and "templates/row.html" in marker["files"]
    first_copy = (public / "archive.db").stat().st_ino
    assert sorted(tree(public)) == sorted(
        {*marker["files"], DATASETTE_MARKER}
        | {"/".join(f.split("/")[:i]) for f in marker["files"] for i in range(1, f.count("/") + 1)}
    )
    # A template it wrote then, no longer lpscrape's now; a cache a Datasette left.
    (public / "templates" / "retired.html").write_text("old\n")
    marker["files"].append("templates/retired.html")
    (public / DATASETTE_MARKER).write_text(json.dumps(marker))
    (public / "plugins" / "__pycache__").mkdir()
    (public / "plugins" / "__pycache__" / "lpscrape_archive.cpython-312.pyc").write_bytes(b"x")
    renamed = copy_archive(archive, archive.parent / "b.db")
    again = run_cli("export", "datasette", "--db", str(renamed), "-o", str(public))
    assert again.returncode == 0, again.stderr
    names = {p.name for p in public.iterdir()}
    assert "archive.db" in names and not {"a.db", "b.db"} & names
    assert (public / "archive.db").stat().st_ino != first_copy  # the old snapshot is gone
    assert not (public / "templates" / "retired.html").exists()
    assert not (public / "plugins" / "__pycache__").exists()
    assert not [n for n in names if n.startswith(".")]  # no work folder left
    assert {p.name for p in (public / "templates").iterdir()} == {
        p.name for p in TEMPLATES_DIR.iterdir() if p.name != "__pycache__"
    }
    assert list(Datasette(config_dir=public).databases) == ["_internal", "archive"]


def test_datasette_refuses_its_earlier_export_with_a_file_added(
    archive: Path, tmp_path: Path
) -> None:
    public = tmp_path / "pub"
    assert run_cli("export", "datasette", "--db", str(archive), "-o", str(public)).returncode == 0
    (public / "templates" / "mine.html").write_text("<script>alert(1)</script>\n")
    before = tree(public)
    renamed = copy_archive(archive, archive.parent / "b.db")
    result = run_cli("export", "datasette", "--db", str(renamed), "-o", str(public))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "holds templates/mine.html, which the earlier export did not write" in result.stderr
    assert tree(public) == before


# --- CSV injection: data unchanged, but --excel ------------------------------------------


@pytest.fixture
def formulas(archive: Path) -> tuple[Path, str]:
    """The archive with a hostile site's text in one article's fields and in the tags; the
    article's URL."""
    conn = sqlite3.connect(archive)
    url = conn.execute("SELECT url FROM articles ORDER BY rowid LIMIT 1").fetchone()[0]
    sets = ", ".join(f"{column} = ?" for column in FORMULAS)
    conn.execute(f"UPDATE articles SET {sets} WHERE url = ?", [*FORMULAS.values(), url])
    conn.execute("UPDATE tags SET name = '@SUM(A1)' WHERE id = (SELECT min(id) FROM tags)")
    conn.execute("UPDATE tags SET name = '-1+1' WHERE id = (SELECT max(id) FROM tags)")
    conn.commit()
    conn.close()
    return archive, url


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


@pytest.mark.parametrize("how", ["table", "query"])  # SQLite's printf, or Python's writer
def test_excel_csv_neutralises_formulas_plain_csv_keeps_the_data(
    formulas: tuple[Path, str], tmp_path: Path, how: str
) -> None:
    db, url = formulas
    source = ["--sql", "SELECT *, -5 AS minus FROM articles"] if how == "query" else []
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"
    for out, extra in ((plain, []), (excel, ["--excel"])):
        result = run_cli("export", "csv", "--db", str(db), *source, *extra, "-o", str(out))
        assert result.returncode == 0, result.stderr
    header, *rows = read_csv(plain)
    [mine] = [dict(zip(header, r, strict=True)) for r in rows if r[0] == url]
    assert {k: mine[k] for k in FORMULAS} == FORMULAS  # the archive's data, unchanged
    header, *rows = read_csv(excel)
    records = [dict(zip(header, r, strict=True)) for r in rows]
    [mine] = [r for r in records if r["url"] == url]
    assert {k: mine[k] for k in FORMULAS} == {k: "'" + v for k, v in FORMULAS.items()}
    others = [r for r in records if r["url"] != url]
    assert not any(v.startswith("'") for r in others for v in r.values())  # nothing else
    assert all(r["word_count"].isdigit() for r in records)  # numbers stay numbers
    if how == "query":
        assert {r["minus"] for r in records} == {"-5"}  # a negative number, bare
    plain_rows, excel_rows = read_csv(plain)[1:], read_csv(excel)[1:]
    assert [r.count("") for r in plain_rows] == [r.count("") for r in excel_rows]  # NULLs


def test_excel_csv_neutralises_terms_and_plain_keeps_them(
    formulas: tuple[Path, str], tmp_path: Path
) -> None:
    db, _ = formulas
    plain = run_cli("export", "csv", "--db", str(db), "--table", "tags", check=True).stdout
    excel = run_cli(
        "export", "csv", "--excel", "--db", str(db), "--table", "tags", check=True
    ).stdout
    names = [r[1] for r in list(csv.reader(io.StringIO(plain, newline="")))[1:]]
    assert "@SUM(A1)" in names and "-1+1" in names
    names = [r[1] for r in list(csv.reader(io.StringIO(excel.lstrip("\ufeff"), newline="")))[1:]]
    assert "'@SUM(A1)" in names and "'-1+1" in names
    assert not any(n.startswith(("@", "-", "=", "+")) for n in names)


def test_export_help_says_what_excel_changes() -> None:
    text = " ".join(run_cli("export", "--help", check=True).stdout.split())
    assert "The csv is the archive's data unchanged" in text
    assert "put ' before any text cell that begins with =, +, -, @, tab or carriage return" in (
        text
    )
