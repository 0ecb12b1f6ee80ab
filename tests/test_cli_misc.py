"""`documents check` and settings errors on the command line."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_documents_check_prints_an_outline(run_bot):
    path = ROOT / "knowledge" / "data" / "ket-luan-09-KL-BTCTW-2024.txt"
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 0, result.stderr
    assert "09-KL/BTCTW" in result.stdout


def test_documents_check_missing_file_exits_2(run_bot, tmp_path):
    result = run_bot("documents", "check", str(tmp_path / "khong-co.txt"))
    assert result.returncode == 2
    assert "Không đọc được tệp" in result.stderr
    assert "không có tệp này" in result.stderr
    assert "Traceback" not in result.stderr


def test_documents_check_binary_file_exits_2(run_bot, tmp_path):
    path = tmp_path / "anh.txt"
    path.write_bytes(b"\xff\xfe\x00\x81" * 100)
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 2
    assert "UTF-8" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_setting_is_explained_without_traceback(run_bot, tmp_path):
    (tmp_path / ".env").write_text("LOG_LEVEL=loud\n", encoding="utf-8")
    result = run_bot("ask", "hỏi")
    assert result.returncode == 2
    assert "LOG_LEVEL" in result.stderr
    assert "Traceback" not in result.stderr


def test_documents_dir_from_env_file(run_bot, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / ".env").write_text(f"DOCUMENTS_DIR={docs}\nLOG_LEVEL=debug\n", encoding="utf-8")
    result = run_bot("ask", "--json", "hỏi")
    assert result.returncode == 0, result.stderr
    assert "DEBUG" in result.stderr or "INFO" in result.stderr
