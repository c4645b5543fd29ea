# The two commands a new user needs: `make demo` and `make test`. Both build the
# environment first, so they work on a fresh clone with nothing but python3.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
DEMO_DIR ?= data/demo
DEMO_DB := $(DEMO_DIR)/yrdnews.db
PORT ?= 8001

.PHONY: install system-deps browser-deps demo demo-crawl test lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench,dev,gazetteer]"
	touch $@

install: $(VENV)/.installed system-deps

# Debian packages the tests use (CI runs as root): redis-server, which the distributed tests
# start on loopback, and systemd (for systemd-analyze), which checks the units of
# `yrdnews schedule --print systemd`.
system-deps:
	@command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }
	@command -v systemd-analyze >/dev/null || { apt-get update && apt-get install -y --no-install-recommends systemd; }

# Offline demo: build the WARC snapshot, crawl it into SQLite, serve it with Datasette.
# demo/sources.txt is written by the build step, so it is read by the shell at run time
# (a $(shell ...) here would be expanded by make before the file exists).
DEMO_CRAWL = $(BIN)/yrdnews crawl --replay demo/snapshot.warc.gz --db $(DEMO_DB) --data-dir $(DEMO_DIR) -s LOG_LEVEL=WARNING

demo-crawl: install
	$(BIN)/python demo/build_snapshot.py
	$(DEMO_CRAWL) $$(sed 's/^/--source /' demo/sources.txt)
	$(DEMO_CRAWL) --urls demo/urls.txt

demo: demo-crawl
	@echo "Serving $(DEMO_DB) on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/yrdnews serve --db $(DEMO_DB) --port $(PORT)

# The browser tests drive Debian's Chromium (never a downloaded browser) with a CJK font, so
# Chinese pages render; installed only when missing (CI runs as root).
BROWSER_PACKAGES := chromium fonts-noto-cjk
browser-deps:
	@missing=$$(for p in $(BROWSER_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  echo "Installing $$missing for the browser tests"; \
	  $$sudo apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: install browser-deps
	$(BIN)/python -m pytest
	$(BIN)/python bench/figures_eval.py --check
	$(BIN)/python bench/entities_eval.py --check
	$(BIN)/python bench/stories_eval.py --check
	$(BIN)/python scripts/build_gazetteer.py --check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) data build test-artifacts *.egg-info demo/snapshot.warc.gz demo/urls.txt demo/sources.txt demo/manifest.jsonl
