# Two commands matter: `make run` (install, then process samples/) and
# `make test`. Both install what a fresh Debian 12 machine lacks.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT := out
CORPUS := samples/corpus
SYSTEM_PACKAGES := tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa \
	tesseract-ocr-script-latn \
	tesseract-ocr-osd poppler-utils fonts-dejavu-core fonts-liberation \
	fonts-freefont-ttf fonts-dkg-handwriting fonts-breip fonts-femkeklaver \
	fonts-humor-sans fonts-dancingscript fonts-comic-neue

.PHONY: run watch test bench install system-packages samples clean

AS_OF = $$($(BIN)/python -c "import json; print(json.load(open('$(CORPUS)/manifest.json'))['as_of'])")

# The corpus's open requests are imported first, so each document is
# matched to its request rather than opening one of its own.
run: install
	@mkdir -p $(OUT)
	$(BIN)/intake requests import $(CORPUS)/requests.csv \
		--db sqlite:///$(OUT)/intake.db --today $(AS_OF)
	$(BIN)/intake process $(CORPUS) --out $(OUT)/samples.jsonl \
		--db sqlite:///$(OUT)/intake.db --quarantine $(OUT)/quarantine \
		--today $(AS_OF)
	$(BIN)/intake evaluate --truth $(CORPUS) $(OUT)/samples.jsonl

# Watch var/inbox; copy sample files into it to see them processed once
# and moved to var/archive.
watch: install
	@mkdir -p var/inbox
	$(BIN)/intake watch var/inbox --archive var/archive \
		--quarantine var/quarantine --db sqlite:///var/intake.db

test: install
	$(BIN)/python -m pytest -n 2 -p no:cacheprovider

bench: install
	$(BIN)/python -m tests.bench

samples: install
	$(BIN)/python -m samples.generate --seed 7 --out $(CORPUS)

install: system-packages $(STAMP)

system-packages:
	@bash .ci/system-packages.sh $(SYSTEM_PACKAGES)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(STAMP)

clean:
	rm -rf $(OUT) var
