# Two user-facing targets: `make run` (the app; demo mode without credentials) and
# `make test` (the whole suite). Both create the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8501
# Only this computer can open the app. `make run HOST=0.0.0.0` serves every network
# interface on purpose: then put authentication in front (see the README).
HOST ?= localhost
# Test processes: most tests wait on servers, browsers and sockets, so more processes
# than cores pay (measured: benchmarks/suite.py).
TEST_WORKERS ?= 4

.PHONY: run test browser pdflibs bench demo team clean

$(VENV)/.runtime: requirements.txt
	@echo "First start (or requirements.txt changed): setting up $(VENV), about a minute, once."
	$(PYTHON) -m venv $(VENV)
	@echo "Installing pip, then the packages of requirements.txt (quietly)..."
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt $(VENV)/.runtime
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# The PDF report (WeasyPrint) needs Pango; installed when missing and running as root
# with apt, else the app says how to install it and offers the HTML report alone.
pdflibs:
	@if ! ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Pango for the PDF reports (apt-get)..."; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core; \
	  else echo "Pango is missing (apt-get install libpango-1.0-0 libpangoft2-1.0-0):" \
	            "PDF reports are off until it is installed"; fi; \
	fi

run: $(VENV)/.runtime pdflibs
	@case "$(HOST)" in 127.0.0.1|localhost|::1) \
	  echo "Starting the app. Open http://localhost:$(PORT) in your browser (Ctrl+C stops it)." ;; \
	*) echo "Starting the app on $(HOST), port $(PORT) (open http://<this computer's address>:$(PORT))." \
	        "Anyone who can reach it can use the app and, with live credentials, your API" \
	        "quota: put authentication in front (Streamlit's st.login or a proxy)." ;; esac
	@$(PY) -m streamlit run app.py --server.address $(HOST) --server.port $(PORT) \
	  --server.headless true --browser.gatherUsageStats false

# System packages the tests use: Debian's Chromium for the real-browser tests (never a
# downloaded browser build) and LibreOffice Calc for the spreadsheet round trip of the
# CSV exports. Installed when missing and running as root with apt; else those tests skip
# (in CI, CI=true, they fail instead).
browser:
	@missing=""; \
	  { command -v chromium >/dev/null 2>&1 || [ -x /usr/lib/chromium/chromium ]; } || missing="$$missing chromium"; \
	  { command -v libreoffice >/dev/null 2>&1 || command -v soffice >/dev/null 2>&1; } || missing="$$missing libreoffice-calc-nogui"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	    else echo "Missing:$$missing (apt-get install$$missing): those tests will be skipped"; fi; \
	  fi

test: $(VENV)/.dev browser pdflibs
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder -m "not team"
	@# The team topology after, alone: its pacing across processes needs the CPU it measures.
	$(PY) -m pytest -q -m team

# Regenerate the demo fixtures, pictures and clips (deterministic; tools/build_demo.py).
demo: $(VENV)/.dev
	$(PY) -m tools.build_demo

bench: $(VENV)/.dev
	$(PY) -m benchmarks

# The team topology without containers (tools/team.py): a throwaway PostgreSQL from the
# system's packages, the shared demo gateway, two app servers (ports 8601 and 8602) and
# two job workers; Ctrl+C stops them all. deploy/ has the same with containers.
team: $(VENV)/.runtime
	@$(PY) -m tools.team

clean:
	rm -rf $(VENV) .pytest_cache
