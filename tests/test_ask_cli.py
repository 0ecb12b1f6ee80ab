"""`python -m bot ask`: exit codes, JSON shape, stdin mode alignment."""

from __future__ import annotations

import json

import pytest

KEYS = {"found", "answer", "sources"}


def check_shape(obj: dict) -> None:
    assert set(obj) == KEYS
    assert isinstance(obj["found"], bool)
    assert isinstance(obj["answer"], str)
    for source in obj["sources"]:
        assert set(source) == {"document", "ref", "quote"}
        assert all(isinstance(v, str) for v in source.values())


@pytest.mark.parametrize("question", ["", "   ", "\t"])
def test_empty_question_exits_2_with_a_message(run_bot, question):
    result = run_bot("ask", question)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "Câu hỏi trống" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_prints_exactly_one_object(run_bot):
    result = run_bot("ask", "--json", "hạn chót vị trí việc làm")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    check_shape(json.loads(lines[0]))


def test_question_for_a_person_is_text(run_bot):
    result = run_bot("ask", "han chot vi tri viec lam")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert not result.stdout.lstrip().startswith("{")


def test_stdin_mode_keeps_lines_aligned(run_bot):
    questions = ["hạn chót vị trí việc làm", "", "   ", "!!!", "x" * 5000, "tinh gian bien che"]
    result = run_bot("ask", "--json", stdin="\n".join(questions) + "\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[-1] == ""
    objects = [json.loads(line) for line in lines[:-1]]
    assert len(objects) == len(questions)
    for obj in objects:
        check_shape(obj)
    assert [o["found"] for o in objects[1:5]] == [False] * 4


def test_stdin_mode_handles_crlf_and_no_final_newline(run_bot):
    result = run_bot("ask", "--json", stdin="một\r\nhai")
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.knowledge
def test_smoke_job_position_deadline(run_bot):
    """Smoke check of the real knowledge base (fails against the stub)."""
    result = run_bot("ask", "--json", "Kế hoạch vị trí việc làm phải hoàn thiện trước ngày nào?")
    answer = json.loads(result.stdout)
    assert answer["found"] is True
    assert "31/3/2024" in answer["answer"]
