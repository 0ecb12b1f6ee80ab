"""Admin commands: `db`, `admins`, `units`, `invite`, `export` (run as `python -m bot …`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from alembic.script import ScriptDirectory

from bot.commands.errors import UsageError
from bot.commands.parse import parse_level, parse_member_id, parse_since, parse_ttl
from storage.engine import create_engine, session_factory
from storage.export import HEADERS, PROGRESS_SHEET
from storage.migrate import alembic_config
from storage.queries.progress import add_update
from storage.queries.units import get_unit
from tests.clitools import ok, refused

VN = ZoneInfo("Asia/Ho_Chi_Minh")
Run = Callable[..., subprocess.CompletedProcess[str]]
UNITS_CSV = (
    "code,name,parent,level\n"
    "TU-BD,Tỉnh ủy Bình Định,,tinh\n"
    "HU-TP,Huyện ủy Tuy Phước,TU-BD,huyen\n"
    "HU-AN,Huyện ủy An Nhơn,TU-BD,huyện\n"
)
_HIDDEN = ("DATABASE_URL", "DOCUMENTS_DIR", "LOG_LEVEL", "ADMINS", "TIMEZONE", "DATA_DIR")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "b.db"


@pytest.fixture
def bot(tmp_path: Path, db_path: Path) -> Run:
    """Return a function running `python -m bot ARGS` on a SQLite file under tmp_path."""
    env = {k: v for k, v in os.environ.items() if k not in _HIDDEN}
    env["PYTHONIOENCODING"] = "utf-8"
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{db_path}"

    def run(*args: str, stdin: str = "", **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            encoding="utf-8",
            cwd=tmp_path,
            env={**env, **extra_env},
            timeout=120,
        )

    return run


def units_json(bot: Run) -> list[dict[str, str | None]]:
    rows: list[dict[str, str | None]] = json.loads(ok(bot("units", "list", "--json")))
    return rows


def add_three_units(bot: Run, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    ok(bot("units", "import", str(path)))


# --- argument parsers ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", timedelta(days=7)),
        ("12h", timedelta(hours=12)),
        ("30m", timedelta(minutes=30)),
        (" 2D ", timedelta(days=2)),
        ("365d", timedelta(days=365)),
    ],
)
def test_ttl_forms(text, expected):
    assert parse_ttl(text) == expected


@pytest.mark.parametrize("text", ["", "7", "d", "7w", "-1d", "0m", "366d", "1.5d", "99999999d"])
def test_bad_ttl_is_a_usage_error(text):
    with pytest.raises(UsageError, match="Thời hạn"):
        parse_ttl(text)


def test_member_id_forms():
    assert str(parse_member_id("telegram:123456")) == "telegram:123456"
    assert str(parse_member_id(" Console:boss ")) == "console:boss"
    assert parse_member_id("telegram:-100123").external_id == "-100123"


@pytest.mark.parametrize("text", ["boss", "console:", ":boss", "console:a b", "1x:y", ""])
def test_bad_member_id_is_a_usage_error(text):
    with pytest.raises(UsageError, match="KÊNH:MÃ_NGƯỜI_DÙNG"):
        parse_member_id(text)


def test_since_forms_are_local_midnight():
    expected = datetime(2024, 3, 1, tzinfo=VN)
    assert parse_since("2024-03-01", VN) == expected
    assert parse_since("01/03/2024", VN) == expected
    assert parse_since("1/3/2024", VN) == expected
    assert parse_since("2024-03-01", VN).astimezone(UTC).hour == 17  # 29/02 17:00 UTC


@pytest.mark.parametrize("text", ["2024-02-30", "31/02/2024", "03/01/24", "hôm qua", "2024/03/01"])
def test_bad_since_is_a_usage_error(text):
    with pytest.raises(UsageError, match="Ngày"):
        parse_since(text, VN)


def test_levels_with_or_without_diacritics():
    assert [parse_level(t) for t in ("tinh", "Tỉnh", "huyện", "cơ sở", "co-so", None)] == [
        "tinh",
        "tinh",
        "huyen",
        "coso",
        "coso",
        "",
    ]
    with pytest.raises(UsageError, match="Cấp"):
        parse_level("xã")


# --- db, units -----------------------------------------------------------------


def test_db_upgrade_is_idempotent(bot, db_path):
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head in ok(bot("db", "upgrade"))
    assert head in ok(bot("db", "upgrade"))
    assert db_path.exists()


def test_units_add_update_and_list_json(bot):
    assert "Đã thêm" in ok(bot("units", "add", "TU-BD", "Tỉnh ủy Bình Định", "--level", "tinh"))
    ok(bot("units", "add", "HU-TP", "Huyện ủy Tuy Phước", "--parent", "TU-BD", "--level", "huyen"))
    out = ok(bot("units", "add", "HU-TP", "Huyện ủy  Tuy Phước mới", "--parent", "TU-BD"))
    assert "Đã cập nhật" in out
    assert units_json(bot) == [
        {"code": "HU-TP", "name": "Huyện ủy Tuy Phước mới", "parent": "TU-BD", "level": None},
        {"code": "TU-BD", "name": "Tỉnh ủy Bình Định", "parent": None, "level": "tinh"},
    ]


def test_units_list_table_and_empty(bot, tmp_path):
    assert "Chưa có đơn vị nào" in ok(bot("units", "list"))
    assert json.loads(ok(bot("units", "list", "--json"))) == []
    add_three_units(bot, tmp_path)
    lines = ok(bot("units", "list")).splitlines()
    assert lines[0].split() == ["Mã", "Tên", "đơn", "vị", "Cấp", "trên", "Cấp"]
    assert lines[2].split() == ["HU-AN", "Huyện", "ủy", "An", "Nhơn", "TU-BD", "huyện"]
    assert lines[4].split() == ["TU-BD", "Tỉnh", "ủy", "Bình", "Định", "tỉnh"]


def test_units_add_unknown_parent_exits_2(bot):
    err = refused(bot("units", "add", "HU-TP", "Huyện ủy Tuy Phước", "--parent", "TU-XX"))
    assert "TU-XX" in err
    assert units_json(bot) == []


def test_units_add_cycle_exits_2(bot):
    ok(bot("units", "add", "A", "Đơn vị A"))
    ok(bot("units", "add", "B", "Đơn vị B", "--parent", "A"))
    assert "cấp trên" in refused(bot("units", "add", "A", "Đơn vị A", "--parent", "B"))


def test_units_import_again_updates_never_duplicates(bot, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV, encoding="utf-8")
    out = ok(bot("units", "import", str(path)))
    assert "thêm mới 3, cập nhật 0, không đổi 0" in out
    assert "thêm mới 0, cập nhật 0, không đổi 3" in ok(bot("units", "import", str(path)))
    changed = UNITS_CSV.replace("Huyện ủy An Nhơn,TU-BD", "Thị ủy An Nhơn,TU-BD")
    path.write_text(changed + "XA-1,Đảng ủy xã Phước Lộc,HU-TP,coso\n", encoding="utf-8-sig")
    assert "thêm mới 1, cập nhật 1, không đổi 2" in ok(bot("units", "import", str(path)))
    units = units_json(bot)
    assert [u["code"] for u in units] == ["HU-AN", "HU-TP", "TU-BD", "XA-1"]
    assert units[0]["name"] == "Thị ủy An Nhơn"
    assert units[3] == {
        "code": "XA-1",
        "name": "Đảng ủy xã Phước Lộc",
        "parent": "HU-TP",
        "level": "coso",
    }


def test_units_import_bad_line_is_named_and_changes_nothing(bot, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(UNITS_CSV + "HU-X,,TU-BD,huyen\n", encoding="utf-8")
    err = refused(bot("units", "import", str(path)))
    assert "dòng 5" in err
    assert str(path) in err
    assert units_json(bot) == []


@pytest.mark.parametrize(
    "line",
    [
        "HU TP,Huyện ủy Tuy Phước,TU-BD,huyen",  # a space
        "HU-TP\x00,Huyện ủy Tuy Phước,TU-BD,huyen",  # NUL
        "HU-\u200dTP,Huyện ủy Tuy Phước,TU-BD,huyen",  # zero-width joiner
        "\u00adHU-TP,Huyện ủy Tuy Phước,TU-BD,huyen",  # soft hyphen
        "HU-TP,Huyện ủy Tuy Phước,TU\u200b-BD,huyen",  # in the parent's code
        "HU-TP,Huyện ủy\x00 Tuy Phước,TU-BD,huyen",  # NUL in the name
    ],
)
def test_units_import_refuses_codes_units_add_refuses(bot, tmp_path, line):
    path = tmp_path / "units.csv"
    path.write_text(f"TU-BD,Tỉnh ủy Bình Định,,tinh\n{line}\n", encoding="utf-8")
    err = refused(bot("units", "import", str(path)))
    assert "dòng 2" in err and ("ký tự ẩn" in err or "khoảng trắng" in err)
    assert units_json(bot) == []


def test_units_import_unknown_parent_is_named(bot, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text("code,name,parent,level\nHU-TP,Huyện ủy Tuy Phước,TU-XX,huyen\n", "utf-8")
    err = refused(bot("units", "import", str(path)))
    assert "dòng 2" in err
    assert "TU-XX" in err


def test_units_import_missing_file_exits_2(bot, tmp_path):
    assert "không có tệp này" in refused(bot("units", "import", str(tmp_path / "none.csv")))


# --- admins --------------------------------------------------------------------


def test_admins_add_and_list(bot, db_path):
    assert "Đã cấp quyền quản trị cho console:boss" in ok(bot("admins", "add", "console:boss"))
    assert "đã là quản trị viên" in ok(bot("admins", "add", "Console:boss"))
    ok(bot("admins", "add", "telegram:123456"))
    out = ok(bot("admins", "list", ADMINS="zalo_oa:9"))
    assert out.splitlines() == [
        "Quản trị viên:",
        "• console:boss",
        "• telegram:123456",
        "• zalo_oa:9 (theo cấu hình ADMINS)",
    ]
    with sqlite3.connect(db_path) as conn:
        roles = conn.execute("SELECT channel, external_id, role FROM member ORDER BY id").fetchall()
        audit = conn.execute("SELECT actor FROM audit_log WHERE action = 'member.role'").fetchall()
    assert roles == [("console", "boss", "admin"), ("telegram", "123456", "admin")]
    assert audit == [("cli",), ("cli",)]


def test_admins_list_empty(bot):
    assert "Chưa có quản trị viên nào" in ok(bot("admins", "list"))


@pytest.mark.parametrize("member", ["boss", "console:", "console:a b"])
def test_admins_add_malformed_exits_2(bot, member, db_path):
    assert "KÊNH:MÃ_NGƯỜI_DÙNG" in refused(bot("admins", "add", member))
    assert not db_path.exists()  # refused before touching the database


def test_admins_add_unknown_channel_warns(bot):
    result = bot("admins", "add", "telgram:1")
    assert "Đã cấp quyền" in ok(result)
    assert "telgram" in result.stderr


# --- invites -------------------------------------------------------------------


def test_invite_json_shape_and_only_the_hash_is_stored(bot, tmp_path, db_path):
    add_three_units(bot, tmp_path)
    before = datetime.now(UTC)
    shown = json.loads(ok(bot("invite", "HU-TP", "--json")))
    assert list(shown) == ["code", "unit", "expires_at"]
    assert shown["unit"] == "HU-TP"
    expires = datetime.fromisoformat(shown["expires_at"])
    assert expires.utcoffset() == timedelta(hours=7)
    assert timedelta(days=7) <= expires - before <= timedelta(days=7, minutes=5)
    code = shown["code"]
    assert code.isalnum() and code.isupper()
    with sqlite3.connect(db_path) as conn:
        hashes = [row[0] for row in conn.execute("SELECT code_hash FROM invite")]
        dump = "\n".join(conn.iterdump())
    assert hashes == [hashlib.sha256(code.encode()).hexdigest()]
    assert code not in dump
    for path in tmp_path.glob("b.db*"):  # the file, its WAL and shared memory
        assert code.encode() not in path.read_bytes()


def test_invite_text_says_how_to_use_it(bot, tmp_path):
    add_three_units(bot, tmp_path)
    out = ok(bot("invite", "HU-AN", "--ttl", "12h"))
    code = out.split(": ")[1].splitlines()[0]
    assert f"/dangky {code}" in out
    expected = (datetime.now(VN) + timedelta(hours=12)).strftime("%d/%m/%Y")
    assert f"Hết hạn lúc {expected}" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("invite", "HU-XX"), "Không có đơn vị mã HU-XX"),
        (("invite", "HU-TP", "--ttl", "7 tuần"), "Thời hạn"),
        (("invite", "HU-TP", "--ttl", "0m"), "Thời hạn"),
    ],
)
def test_invite_bad_input_exits_2(bot, args, message):
    assert message in refused(bot(*args))


# --- export --------------------------------------------------------------------


async def report(db_path: Path, unit: str, task: str, status: str, note: str, at: datetime):
    """Store a progress report straight through the storage API."""
    engine = create_engine(f"sqlite+aiosqlite:///{db_path}")
    try:
        async with session_factory(engine)() as session:
            found = await get_unit(session, code=unit)
            assert found is not None and found.id is not None
            await add_update(
                session,
                unit_id=found.id,
                task_code=task,
                status=status,
                note=note,
                reported_at=at,
            )
    finally:
        await engine.dispose()


@pytest.fixture
async def reported(bot, tmp_path, db_path) -> None:
    """Three units; HU-TP reported 3.3 done on 15/03/2024, HU-AN 1 in progress on 10/01/2024."""
    add_three_units(bot, tmp_path)
    note = "=Đã ban hành kế hoạch VTVL"
    await report(db_path, "HU-TP", "3.3", "hoan_thanh", note, datetime(2024, 3, 15, 9, tzinfo=VN))
    await report(db_path, "HU-AN", "1", "dang_thuc_hien", "", datetime(2024, 1, 10, 9, tzinfo=VN))


async def test_export_csv_is_readable(bot, tmp_path, reported):
    out = ok(bot("export", "progress", str(tmp_path / "p.csv")))
    assert "Đã xuất 2 dòng" in out
    assert stat.S_IMODE((tmp_path / "p.csv").stat().st_mode) == 0o600  # names: the owner only
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert tuple(rows[0]) == HEADERS
    assert rows[1][:4] == ["HU-AN", "Huyện ủy An Nhơn", "TU-BD", "1"]
    assert rows[2][:4] == ["HU-TP", "Huyện ủy Tuy Phước", "TU-BD", "3.3"]
    assert rows[2][4]  # the task's title from the directive
    assert rows[2][5] == "hoàn thành"
    assert rows[2][7] == "'=Đã ban hành kế hoạch VTVL"  # defused formula
    assert rows[2][9] == "15/03/2024 09:00"


async def test_export_xlsx_since_is_readable(bot, tmp_path, reported):
    path = tmp_path / "p.xlsx"
    out = ok(bot("export", "progress", str(path), "--since", "2024-03-01"))
    assert "Đã xuất 1 dòng" in out
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "01/03/2024" in out
    sheet = openpyxl.load_workbook(path)[PROGRESS_SHEET]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert tuple(rows[0]) == HEADERS
    assert len(rows) == 2
    assert rows[1][0] == "HU-TP"
    assert rows[1][3] == "3.3"
    assert rows[1][5] == "hoàn thành"


async def test_export_xlsx_has_the_period_matrix_and_summaries(bot, tmp_path, reported):
    path = tmp_path / "p.xlsx"
    ok(bot("export", "progress", str(path), CLOCK_START="2024-03-20T09:00:00+07:00"))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[2:] == [
        "Ma trận quý I-2024",
        "Tổng hợp quý I-2024",
        "Tổng hợp quý IV-2023",
        "Tổng hợp quý III-2023",
        "Tổng hợp quý II-2023",
    ]
    matrix = [list(row) for row in book["Ma trận quý I-2024"].iter_rows(values_only=True)]
    column = matrix[0].index("3.3")
    assert matrix[0][:4] == ["Mã đơn vị", "Tên đơn vị", "Đơn vị cấp trên", "1.1"]
    assert [row[0] for row in matrix[1:]] == ["TU-BD", "HU-AN", "HU-TP"]
    assert matrix[3][column] == "hoàn thành · 15/03/2024"
    assert matrix[2][column] == "chưa báo cáo"
    summary = [list(row) for row in book["Tổng hợp quý I-2024"].iter_rows(values_only=True)]
    assert summary[1][2:4] == [0, 3]
    assert next(row for row in summary if row[0] == "3.3")[2:] == [1, 3, 33.3]


async def test_export_names_the_directive(bot, tmp_path, reported):
    """With a 2025 directive loaded too, --document picks whose reports are exported."""
    documents = tmp_path / "docs"
    documents.mkdir()
    source = Path(__file__).parent / "data" / "ket-luan-12-KL-BTCTW-2025.txt"
    (documents / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"DOCUMENTS_DIR": str(documents)}
    out = tmp_path / "p.csv"
    assert "Đã xuất 2 dòng" in ok(bot("export", "progress", str(out), "--document", "09-KL", **env))
    out.unlink()
    assert "Đã xuất 0 dòng" in ok(bot("export", "progress", str(out), "--document", "12-KL", **env))
    out.unlink()
    said = refused(bot("export", "progress", str(out), "--document", "99-XX", **env), code=2)
    assert "Không có văn bản «99-XX»" in said and not out.exists()


def test_export_empty_database(bot, tmp_path):
    assert "Đã xuất 0 dòng" in ok(bot("export", "progress", str(tmp_path / "p.xlsx")))
    assert openpyxl.load_workbook(tmp_path / "p.xlsx")[PROGRESS_SHEET].max_row == 1


# --- every refusal is one message, the right exit code, no traceback -------------


@pytest.mark.parametrize(
    ("args", "env", "code", "message"),
    [
        (("export", "progress", "p.pdf"), {}, 2, ".xlsx hoặc .csv"),
        (("export", "progress", "no/such/p.xlsx"), {}, 2, "Không có thư mục"),
        (("export", "progress", "p.csv", "--since", "31/02/2024"), {}, 2, "Ngày"),
        (("units", "add", "", "Tên"), {}, 2, "không được để trống"),
        (("units", "add", "A B", "Tên"), {}, 2, "khoảng trắng"),
        (("units", "add", "HU\u200bTP", "Tên"), {}, 2, "ký tự ẩn"),  # zero-width space
        (("units", "add", "HU-TP", "Tên\x07"), {}, 2, "ký tự ẩn"),
        (("units", "add", "A", "Tên", "--level", "xa"), {}, 2, "Cấp"),
        (("units", "list"), {"DATABASE_URL": "mysql://u@h/db"}, 2, "DATABASE_URL"),
        (("units", "list"), {"DATABASE_URL": "::nonsense"}, 2, "DATABASE_URL"),
        (
            ("units", "list"),
            {"DATABASE_URL": "postgresql://bot:s3cret@127.0.0.1:1/bot"},
            1,
            "Không mở được cơ sở dữ liệu",
        ),
    ],
)
def test_refusals(bot, args, env, code, message):
    err = refused(bot(*args, **env), code)
    assert message in err
    assert "s3cret" not in err
