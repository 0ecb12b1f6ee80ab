# Two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv and installs the project on first use; re-runs are fast
# (the stamp file is rebuilt only when pyproject.toml changes).

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test test-dates lint bench console install

run: $(STAMP)
	@$(PY) -m bot run

test: $(STAMP)
	@$(PY) -m pytest -q

# The scheduling and end-to-end tests again, the clock moved next to real deadlines.
test-dates: $(STAMP)
	@.ci/date-sweep

lint: $(STAMP)
	@$(VENV)/bin/ruff check .
	@$(VENV)/bin/ruff format --check .
	@$(VENV)/bin/mypy bot handlers knowledge storage scheduler

bench: $(STAMP)
	@$(PY) -m bench

install: $(STAMP)

# Bootstrap output goes to stderr so `make run` prints only the bot's replies.
$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV) >&2
	@$(PY) -m pip install --quiet -e '.[dev]' </dev/null >&2
	@touch $(STAMP)
