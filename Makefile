# Two commands do all the set-up: `make run` and `make test`. Each installs what is missing.
SHELL := /bin/bash
VENV := .venv
PYTHON := $(VENV)/bin/python
PYTHON_INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
TEMPLATE := .serverless/cloudformation-template-update-stack.json
# checkov pins an old boto3, so it gets a virtualenv of its own; the stamp names the version.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
# Packaging needs no AWS account: make sure no credentials from the shell leak into it.
NO_AWS := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE

.PHONY: test lint package package-local check-template run demo redrive bench bench-smoke images install clean

# package-local first: `sls package --package DIR` clears the default .serverless/ folder.
test: $(PYTHON_INSTALLED) package-local package check-template ## every test tier
	$(PYTHON) -m pytest

lint: $(PYTHON_INSTALLED) ## ruff (lint + format), mypy and the import contracts
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

package: $(NODE_INSTALLED) ## the CloudFormation template and zip `sls deploy` would upload
	$(NO_AWS) node_modules/.bin/sls package --stage $(or $(STAGE),dev)
	@ls -l .serverless/*.zip

# cfn-lint with the serverless rules, then checkov, on the packaged template. The rules each one
# skips, and why, are in .cfnlintrc.yaml and .checkov.yaml.
check-template: $(PYTHON_INSTALLED) $(CHECKOV_INSTALLED) package ## lint and policy-check the template
	$(VENV)/bin/cfn-lint $(TEMPLATE)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f $(TEMPLATE) \
		--framework cloudformation --skip-download --quiet --compact

redrive: $(PYTHON_INSTALLED) ## DLQ contents; APPLY=1 moves them back (QUEUE=received, STAGE=local)
	$(PYTHON) -m ops.redrive --stage $(or $(STAGE),dev) --queue $(or $(QUEUE),all) $(if $(APPLY),--apply)

# VERBOSE=1 adds the service's JSON log lines to the one line per request and per record.
run: $(PYTHON_INSTALLED) package-local ## the whole service on this machine; Ctrl-C stops it
	@$(PYTHON) -m offline $(if $(filter-out 0,$(VERBOSE)),--verbose)

demo: $(PYTHON_INSTALLED) ## against a running `make run`: a few orders through the status graph
	$(PYTHON) -m offline.demo

# Not part of `make test`. Needs the packaged templates (`make package package-local`).
bench: $(PYTHON_INSTALLED) $(NODE_INSTALLED) ## cold start, AWS calls, list cost, throughput, zip
	$(PYTHON) -m bench

bench-smoke: $(PYTHON_INSTALLED) $(NODE_INSTALLED) ## `make bench` in ~1 min, results under .bench/
	$(PYTHON) -m bench --quick

# Graphviz's `dot` renders the picture: installed with apt-get where it is missing (as root).
images: $(PYTHON_INSTALLED) package ## images/architecture.png, drawn from the packaged template
	@command -v dot >/dev/null || { command -v apt-get >/dev/null && apt-get update -qq \
		&& apt-get install -y -qq graphviz >/dev/null; } || { echo "make images needs Graphviz's \
	\`dot\`: install the graphviz package (apt-get install graphviz, brew install graphviz)" >&2; exit 1; }
	$(PYTHON) -m images.architecture

package-local: $(NODE_INSTALLED) ## the template of the local stage, which `make run` provisions
	@echo "Packaging the local stage (.serverless-local/)"
	@# osls writes its errors to stdout: keep its output, and show it only if packaging fails.
	@out=$$($(NO_AWS) node_modules/.bin/sls package --stage local --package .serverless-local 2>&1) \
		|| { echo "$$out"; exit 1; }

install: $(PYTHON_INSTALLED) $(NODE_INSTALLED)

# Quiet: one line per install. (Warnings from this machine's own pip configuration may remain.)
$(PYTHON_INSTALLED): requirements-dev.txt requirements.txt
	@echo "Installing the Python tools into $(VENV) (the first time: about 2 minutes)"
	@test -x $(PYTHON) || python3 -m venv $(VENV)
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
		-r requirements-dev.txt
	@touch $@

$(CHECKOV_INSTALLED):
	test -x $(CHECKOV_VENV)/bin/python || python3 -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	touch $@

$(NODE_INSTALLED): package-lock.json
	@echo "Installing the Node tools into node_modules (osls, from package-lock.json)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

clean:
	rm -rf .serverless .pytest_cache .mypy_cache .ruff_cache
