"""Zip exports read in place, member by member, with the limits files have (pm_analytics/parse/archive.py)."""

import os
import stat
import zipfile
from pathlib import Path

import pytest

from pm_analytics.load import discover, load_into, load_paths
from pm_analytics.parse import archive

GOOD = Path(__file__).resolve().parent / "fixtures" / "good"
MD = (GOOD / "2025-09-02-cws-api-5xx.md").read_bytes()
TXT = (GOOD / "2025-06-14-reminders-delayed.txt").read_bytes()


def make_zip(path: Path, members: dict, compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as out:
        for name, data in members.items():
            if isinstance(data, zipfile.ZipInfo):
                out.writestr(data, b"x")
            else:
                out.writestr(name, data)
    return path


def patch_member(path: Path, name: str, flag: int = 0, size: int | None = None) -> None:
    """Rewrite what the archive's headers say of one member: set ``flag`` bits, claim ``size`` bytes."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, flag_at, size_at, name_at in ((b"PK\x01\x02", 8, 24, 46), (b"PK\x03\x04", 6, 22, 30)):
        at = data.find(signature)
        while at >= 0:
            if data[at + name_at:at + name_at + len(encoded)] == encoded:
                data[at + flag_at] |= flag
                if size is not None:
                    data[at + size_at:at + size_at + 4] = size.to_bytes(4, "little")
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def statuses(result) -> dict[str, str]:
    return {f.source_path: f.status for f in result.files}


def messages(result, name: str) -> list[str]:
    return [p.message for p in result.problems if p.source_path == name]


def test_members_are_named_under_the_archive_and_hidden_entries_and_folders_are_passed_over(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    make_zip(folder / "takeout.zip", {"Drive/Post-mortems/2025-09-02-cws.md": MD, "Drive/Post-mortems/": b"",
                                      "__MACOSX/Drive/._x.md": b"junk", ".DS_Store": b"junk",
                                      "Drive/.hidden/notes.md": b"# x", "Drive/logo.png": b"\x89PNG"})
    result = load_paths([folder])
    assert statuses(result) == {"takeout.zip/Drive/Post-mortems/2025-09-02-cws.md": "loaded",
                                "takeout.zip/Drive/logo.png": "skipped"}
    assert result.incidents[0].source_path == "takeout.zip/Drive/Post-mortems/2025-09-02-cws.md"


def test_a_zip_given_directly_is_read_too(tmp_path, monkeypatch):
    make_zip(tmp_path / "notion.zip", {"Export/2025-06-14-reminders.txt": TXT})
    monkeypatch.chdir(tmp_path)
    assert [c.source_path for c in discover([Path("notion.zip")])] == ["notion.zip/Export/2025-06-14-reminders.txt"]


def test_unsafe_names_links_encryption_nested_archives_and_bombs_are_reported_and_the_rest_loads(tmp_path,
                                                                                                 monkeypatch):
    link = zipfile.ZipInfo("Drive/link.md")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    members = {"../../etc/evil.md": MD, "/abs/evil.md": MD, "C:\\evil.md": MD, "Drive/ok.md": MD,
               "Drive/link.md": link, "Drive/locked.md": MD, "Drive/inner.zip": b"PK\x05\x06" + b"\0" * 18,
               "Drive/big.md": b"# big\n" + b"x" * (2 * 1024 * 1024 + 10),
               "Drive/bomb.html": b"<p>" + b"a" * 1_500_000}
    make_zip(tmp_path / "x.zip", members)
    patch_member(tmp_path / "x.zip", "Drive/locked.md", flag=0x1)
    monkeypatch.chdir(tmp_path)
    result = load_paths([Path("x.zip")])
    got = statuses(result)
    assert got["x.zip/Drive/ok.md"] == "loaded"
    for name in ("x.zip/../../etc/evil.md", "x.zip//abs/evil.md", "x.zip/C:/evil.md"):
        assert got[name] == "rejected" and "points outside the archive" in messages(result, name)[0]
    assert "symbolic link" in messages(result, "x.zip/Drive/link.md")[0]
    assert "encrypted" in messages(result, "x.zip/Drive/locked.md")[0]
    assert got["x.zip/Drive/inner.zip"] == "skipped"
    assert "over 2 MB are not read" in messages(result, "x.zip/Drive/big.md")[0]
    assert "zip bomb" in messages(result, "x.zip/Drive/bomb.html")[0]
    assert all(not name.startswith(("../", "/")) for name in got)


def test_an_archive_over_the_entry_or_size_limits_is_not_read_at_all(tmp_path, monkeypatch):
    make_zip(tmp_path / "many.zip", {f"f{i}.md": MD for i in range(5)})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(archive, "MAX_MEMBERS", 4)
    result = load_paths([Path("many.zip")])
    assert statuses(result) == {"many.zip": "rejected"}
    assert "5 entries; more than 4 are not read" in messages(result, "many.zip")[0]
    monkeypatch.setattr(archive, "MAX_MEMBERS", 10)
    monkeypatch.setattr(archive, "MAX_TOTAL_BYTES", 4000)
    result = load_paths([Path("many.zip")])
    assert statuses(result) == {"many.zip": "rejected"} and "zip bomb" in messages(result, "many.zip")[0]


def test_a_member_whose_header_understates_its_size_is_read_no_further_and_rejected(tmp_path):
    path = make_zip(tmp_path / "liar.zip", {"a.md": b"#" * 5000, "b.md": b"# fine"})
    patch_member(path, "a.md", size=10)
    with pytest.raises(archive.ArchiveError, match="cannot be read from the archive"):
        archive.read_member(path, "a.md", 100)
    assert archive.read_member(path, "b.md", 100) == b"# fine"


def test_what_is_not_a_zip_is_reported_under_its_name(tmp_path):
    (tmp_path / "broken.zip").write_bytes(b"not a zip")
    result = load_paths([tmp_path], relative_to=tmp_path)
    assert statuses(result) == {"broken.zip": "rejected"}
    assert "not a readable zip archive" in messages(result, "broken.zip")[0]


def test_a_reload_notices_a_changed_archive_and_reparses_only_the_members_that_changed(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    db = tmp_path / "pm.duckdb"
    make_zip(folder / "export.zip", {"a/2025-09-02-cws.md": MD, "a/2025-06-14-reminders.txt": TXT})
    first = load_into([folder], db, relative_to=folder)
    assert first.parsed == 2 and first.written
    again = load_into([folder], db, relative_to=folder)
    assert not again.written and again.parsed == 0
    changed = TXT.replace(b"212", b"213")
    os.utime(folder / "export.zip", ns=(1, 1))
    make_zip(folder / "export.zip", {"a/2025-09-02-cws.md": MD, "a/2025-06-14-reminders.txt": changed})
    third = load_into([folder], db, relative_to=folder)
    assert third.written and third.parsed == 1 and third.reused == 1
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        clinics = con.execute("SELECT clinics_affected FROM incidents WHERE source_path = ?",
                              ["export.zip/a/2025-06-14-reminders.txt"]).fetchone()[0]
    finally:
        con.close()
    assert clinics == 213


def test_the_cli_names_members_in_its_report(tmp_path, capsys):
    from pm_analytics.cli import main

    make_zip(tmp_path / "export.zip", {"Folder/2025-09-02-cws.md": MD, "Folder/../up.md": MD})
    assert main(["validate", str(tmp_path / "export.zip")]) == 1
    out = capsys.readouterr().out
    assert "export.zip/Folder/../up.md: error: -: the name 'Folder/../up.md' points outside the archive" in out
    assert "1 loaded" in out


@pytest.fixture(autouse=True)
def _close_archives():
    yield
    archive.close_archives()
