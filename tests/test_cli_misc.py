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


def test_documents_check_previews_a_docx_and_stores_nothing(run_bot, tmp_path):
    from tests.ingestfiles import directive_docx

    path = tmp_path / "ke-hoach-45.docx"
    path.write_bytes(directive_docx())
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Văn bản: Kế hoạch số 45-KH/TU" in out
    assert "Cơ quan ban hành: Tỉnh ủy Bình Định" in out
    assert "Ngày ban hành: 15/01/2025" in out
    assert "Mục II: NHIỆM VỤ TRỌNG TÂM" in out
    assert "Nhiệm vụ (10):" in out
    assert "    2.1.1  Hoàn thành rà soát" in out
    assert "1.1: 30/06/2025 «trước ngày 30/6/2025»" in out
    assert "Báo cáo định kỳ: hàng quý, 6 tháng, cả năm" in out
    assert "quý I/2025, quý II/2025, quý III/2025, quý IV/2025" in out
    assert "chưa lưu gì" in out
    assert not (tmp_path / "data").exists()


def test_documents_check_previews_a_pdf(run_bot, tmp_path):
    from tests.ingestfiles import directive_pdf

    path = tmp_path / "ke-hoach-45.pdf"
    path.write_bytes(directive_pdf())
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 0, result.stderr
    assert "Nhiệm vụ (10):" in result.stdout
    assert "1.1: 30/06/2025 «trước ngày 30/6/2025»" in result.stdout


def test_documents_check_refuses_a_scanned_pdf_saying_it_has_no_text(run_bot, tmp_path):
    from tests.pdfmake import make_image_pdf

    path = tmp_path / "ban-chup.pdf"
    path.write_bytes(make_image_pdf())
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 2
    assert "không có lớp chữ" in result.stderr
    assert "Traceback" not in result.stderr


def test_documents_check_refuses_an_unknown_format(run_bot, tmp_path):
    path = tmp_path / "van-ban.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    result = run_bot("documents", "check", str(path))
    assert result.returncode == 2
    assert ".docx" in result.stderr and "Traceback" not in result.stderr


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
