"""The console chat, run as a real process with piped input."""

from __future__ import annotations

import re

from handlers import texts

TRACEBACK = "Traceback"


def blocks(stdout: str) -> list[str]:
    """Return the printed replies (separated by blank lines)."""
    return [b for b in stdout.split("\n\n") if b.strip()]


def test_start_and_help_list_the_commands(run_bot):
    result = run_bot("console", stdin="/start\n/help\n")
    assert result.returncode == 0, result.stderr
    assert "Xin chào" in result.stdout
    for command in ("/hoi", "/nhiemvu", "/hanchot", "/help"):
        assert command in result.stdout
    assert TRACEBACK not in result.stderr


def test_task_33_shows_its_deadline(run_bot):
    result = run_bot("console", stdin="/nhiemvu 3.3\n")
    assert result.returncode == 0, result.stderr
    assert "3.3" in result.stdout
    assert "31/3/2024" in result.stdout


def test_unknown_task_offers_close_codes_as_numbered_choices(run_bot):
    result = run_bot("console", stdin="/nhiemvu 9.9\n")
    assert result.returncode == 0, result.stderr
    assert "Không có nhiệm vụ mã 9.9" in result.stdout
    assert re.search(r"^1\. ", result.stdout, re.MULTILINE), result.stdout


def test_deadlines_show_31_3_2024_as_overdue(run_bot):
    """The real clock is well past 2024, so the job-position plan is overdue."""
    result = run_bot("console", stdin="/hanchot\n")
    assert result.returncode == 0, result.stderr
    entry = next(e for e in result.stdout.split("\n• ") if "31/3/2024" in e)
    assert "đã quá hạn" in entry
    assert "Báo cáo định kỳ" in result.stdout


def test_typing_a_number_picks_the_shown_choice(run_bot):
    result = run_bot("console", stdin="/start\n1\n")
    assert result.returncode == 0, result.stderr
    replies = blocks(result.stdout)
    assert any("Nhiệm vụ trọng tâm" in r for r in replies[1:]), result.stdout


def test_a_number_from_the_task_list_opens_that_group(run_bot):
    result = run_bot("console", stdin="/nhiemvu\n3\n")
    assert result.returncode == 0, result.stderr
    assert "Nhiệm vụ 3:" in result.stdout
    assert "Vị trí: Mục II.3" in result.stdout


def test_end_of_input_exits_0_quietly(run_bot):
    result = run_bot("console", stdin="")
    assert result.returncode == 0
    assert result.stdout == ""
    assert TRACEBACK not in result.stderr


def test_bad_lines_get_replies_and_no_traceback(run_bot):
    lines = ["", "   ", "!!!", "😀😀", "x" * 100_000, "\x00\x07\x1b[31m", "/", "/khong-co"]
    result = run_bot("console", stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert len(blocks(result.stdout)) == len(lines)
    assert TRACEBACK not in result.stderr
    assert texts.SORRY not in result.stdout


def test_run_without_channels_is_the_console(run_bot):
    result = run_bot("run", stdin="/help\n")
    assert result.returncode == 0, result.stderr
    assert "/nhiemvu" in result.stdout


def test_console_user_option(run_bot):
    result = run_bot("console", "--user", "u42", stdin="/start\n")
    assert result.returncode == 0, result.stderr
    assert "Xin chào" in result.stdout


def test_a_file_that_cannot_be_saved_is_said_and_the_chat_goes_on(run_bot, tmp_path):
    (tmp_path / ".env").write_text("ADMINS=console:local\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "exports").write_text("a file where the folder should be")
    result = run_bot("console", stdin="/bieudo\n/help\n")
    assert result.returncode == 0, result.stderr
    said = result.stdout
    assert "không lưu được tệp" in said
    assert "/nhiemvu" in said[said.index("không lưu được tệp") :]  # still chatting after it
    assert TRACEBACK not in result.stderr


def test_files_the_console_saves_are_private(run_bot, tmp_path):
    (tmp_path / ".env").write_text("ADMINS=console:local\n")
    result = run_bot("console", stdin="/bieudo\n")
    assert result.returncode == 0, result.stderr
    [png] = (tmp_path / "data" / "exports").iterdir()
    assert png.stat().st_mode & 0o777 == 0o600
