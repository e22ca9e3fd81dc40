# hostops.fleet: the two entry points are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
# The locks are resolved for the Python that installs them: .venv's (3.11) and each compat line's.
VENV_PYTHON_VERSION := 3.11
DEMO_LOCK := locks/demo-py$(VENV_PYTHON_VERSION).txt
DEV_LOCK := locks/dev-py$(VENV_PYTHON_VERSION).txt
# The compat lines: ansible-core release and controller Python (tests/compat/requirements-CORE.txt).
COMPAT_LINES := 2.16:3.12 2.22:3.13
LOCK_TOOLS := $(CURDIR)/.cache/lock-tools
UV := $(LOCK_TOOLS)/bin/uv
PIP_INSTALL := pip install --quiet --disable-pip-version-check --require-hashes --no-deps
VERSION := $(shell sed -n 's/^version: *//p' galaxy.yml)
TARBALL := build/hostops-fleet-$(VERSION).tar.gz
COLLECTIONS := $(CURDIR)/.collections
# Outside the checkout: inside it, ansible-test would ask git and see the copy as ignored.
SANITY_ROOT := $(or $(TMPDIR),/tmp)/hostops-fleet-sanity
SCENARIOS ?= $(sort $(patsubst molecule/%/molecule.yml,%,$(wildcard molecule/*/molecule.yml)))

export PATH := $(BIN):$(PATH)
export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export ANSIBLE_COLLECTIONS_PATH := $(COLLECTIONS)
export ANSIBLE_NOCOLOR := 1
export PY_COLORS := 0

.PHONY: help lock venv venv-demo build install demo test units integration lab lab-slice sanity compat lint fleet molecule bench bench-fanout bench-fleet clean docs docs-check browser kube

help:
	@echo "make demo   - set up .venv, build and install the collection, run the fleet job on localhost"
	@echo "make test   - unit tests, ansible-test sanity, ansible-lint (production) and every Molecule scenario"
	@echo "make kube   - build the Kubernetes control plane from its Go modules (cached) and run tests/integration/kube"
	@echo "make lock   - regenerate the hashed locks under locks/ from requirements-*.txt (docs/testing.md)"

# Every lock under locks/, with hashes, from the hand-edited inputs (requirements-demo.txt, requirements-dev.txt,
# tests/compat/requirements-CORE.txt) and locks/constraints.txt, each resolved for the Python that
# installs it. The lock tool is pinned too (locks/uv.in) and installed from its own hashed lock into .cache/lock-tools.
# uv resolves from PyPI: `make lock` moves transitive dependencies to their newest allowed releases.
lock:
	test -x $(UV) || { $(PYTHON) -m venv $(LOCK_TOOLS) && $(LOCK_TOOLS)/bin/$(PIP_INSTALL) -r locks/uv.txt; }
	$(UV) pip compile --quiet --generate-hashes --python-version $(VENV_PYTHON_VERSION) \
	  --custom-compile-command 'make lock' -o locks/uv.txt locks/uv.in
	$(UV) pip compile --quiet --generate-hashes --python-version $(VENV_PYTHON_VERSION) --python-platform linux \
	  --custom-compile-command 'make lock' -c locks/constraints.txt -o $(DEV_LOCK) requirements-dev.txt
	@# The demo layer at exactly the versions of the dev lock, so that make venv only adds to it.
	$(UV) pip compile --quiet --generate-hashes --python-version $(VENV_PYTHON_VERSION) --python-platform linux \
	  --custom-compile-command 'make lock' -c locks/constraints.txt -c $(DEV_LOCK) -o $(DEMO_LOCK) \
	  requirements-demo.txt
	for line in $(COMPAT_LINES); do \
	  core=$${line%%:*} python=$${line#*:}; \
	  $(UV) pip compile --quiet --generate-hashes --python-version $$python --python-platform linux \
	    --custom-compile-command 'make lock' -c locks/constraints.txt \
	    -o locks/compat-$$core-py$$python.txt tests/compat/requirements-$$core.txt || exit 1; \
	done

# Two layers in one .venv: the runtime the demo needs, then the development and test tools, each exactly
# as locked (--require-hashes; --no-deps because the lock lists every dependency), then pip check.
venv-demo: $(VENV)/.demo-installed

$(VENV)/.demo-installed: $(DEMO_LOCK)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/$(PIP_INSTALL) -r $(DEMO_LOCK)
	$(BIN)/pip check
	touch $@

venv: $(VENV)/.installed

$(VENV)/.installed: $(DEV_LOCK) $(VENV)/.demo-installed
	$(BIN)/$(PIP_INSTALL) -r $(DEV_LOCK)
	$(BIN)/pip check
	touch $@

build: venv-demo
	mkdir -p build
	$(BIN)/ansible-galaxy collection build --force --output-path build .

install: build
	@# --no-deps: the roles' collections (community.docker, ...) come from the ansible package (make venv)
	@# or from requirements.yml; the demo needs none of them.
	$(BIN)/ansible-galaxy collection install --offline --force --no-deps -p $(COLLECTIONS) $(TARBALL)

demo: install
	$(BIN)/ansible-playbook playbooks/fleet_report.yml -e fleet_report_dir=$(CURDIR)/build/fleet-report

test: docs-check units integration lab-slice browser lint sanity compat molecule
	@echo "make test: all suites passed"

# Unit tests need no root and change nothing on the machine.
units: venv
	$(BIN)/python -m pytest -q tests/unit

# Integration tests start processes, servers and Ansible runs, create namespaces and mounts (root).
integration: venv
	@# Oracles and builders a minimal Debian lacks: iostat, mkfs.btrfs and btrfs (the subvolume test), lsof
	@# (the lazily unmounted file's device), redis-server (the fact-cache tests), jq (the fleet-questions guide),
	@# mkfs.xfs and mkfs.vfat (the superblock test against blkid), bindfs (a real plain-fuse daemon to hang).
	bash tests/support/ensure-packages.sh sysstat:iostat btrfs-progs:mkfs.btrfs lsof redis-server jq \
		xfsprogs:mkfs.xfs dosfstools:mkfs.vfat bindfs
	$(BIN)/python -m pytest -q tests/integration

# The differential lab (tests/lab, docs/testing.md): hard hosts built for real in private namespaces,
# hostfacts compared with df, findmnt, lsblk, lsns, ps, lsof and iostat -x. Its builders and oracles:
LAB_PACKAGES := squashfs-tools:mksquashfs btrfs-progs:mkfs.btrfs xfsprogs:mkfs.xfs sysstat:iostat lsof lxc:lxc-ls \
  busybox-static:busybox
LAB_MINUTES ?= 60

# Generated scenarios for LAB_MINUTES with a random seed (LAB_SEED to repeat one); each failure shrunk to a
# shell script that rebuilds it, in build/lab-findings.txt.
lab: venv
	bash tests/support/ensure-packages.sh $(LAB_PACKAGES)
	mkdir -p build
	cd tests && $(BIN)/python -m lab.run --minutes $(LAB_MINUTES) $(if $(LAB_SEED),--seed $(LAB_SEED)) --out $(CURDIR)/build/lab-findings.txt

# The seeded slice of the lab (derandomized, 10 scenarios), issue 25's hard hosts, the LXC guest and the kill -9
# cleanup proof: under 2 minutes here (docs/testing.md).
lab-slice: venv
	bash tests/support/ensure-packages.sh $(LAB_PACKAGES)
	$(BIN)/python -m pytest -q tests/lab

lint: venv install
	$(BIN)/ansible-lint --profile production --offline

# ansible-test needs the checkout at ansible_collections/hostops/fleet: copy the tracked and
# untracked-but-not-ignored files there, and give it a pip bootstrap that works offline.
sanity: venv
	rm -rf $(SANITY_ROOT) && mkdir -p $(SANITY_ROOT)/ansible_collections/hostops/fleet
	git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && echo "{}"' \
	  | tar -c -T - | tar -x -C $(SANITY_ROOT)/ansible_collections/hostops/fleet
	$(BIN)/python tests/sanity/seed_get_pip.py
	@# Without shellcheck, ansible-test skips the shell scripts with only a warning.
	bash tests/support/ensure-packages.sh shellcheck
	cd $(SANITY_ROOT)/ansible_collections/hostops/fleet && \
	  $(BIN)/ansible-test sanity --venv --python 3.11 --color no

# Beside the pinned line above (.venv: ansible-core 2.19 on Python 3.11), the oldest ansible-core that
# meta/runtime.yml claims and the newest, each in a venv of its own under .compat/, from the installed
# tarball: unit tests, sanity, the ad-hoc module, the callback and fleet_report (tests/compat/run.sh).
# 2.16 is the last release that drives Python 3.7 targets: its compile and import tests run on 3.7 too.
compat: build
	TARGET_PYTHONS=3.7 bash tests/compat/run.sh 2.16 3.12 $(TARBALL)
	@# 2.22's pylint sanity test installs dill from a GitHub archive, which the registries-only network here cannot
	@# reach: pylint runs on the pinned line and on 2.16, and this line names what it left out.
	SKIP_SANITY_TESTS=pylint bash tests/compat/run.sh 2.22 3.13 $(TARBALL)

fleet:
	bash tests/testfleet.sh

molecule: venv install fleet
	for scenario in $(SCENARIOS); do \
	  echo "=== molecule test -s $$scenario"; \
	  $(BIN)/molecule test -s $$scenario || exit 1; \
	done

bench: venv install
	$(BIN)/python bench/processes.py && $(BIN)/python bench/namespaces_io.py

# Not in make test: 20 systemd containers (fanout-01..20, removed afterwards), ad-hoc hostfacts against ping.
bench-fanout: venv install fleet
	$(BIN)/python bench/fanout.py

# The fleet report at scale: 1,000, 5,000 and 50,000 simulated hosts in a Redis of its own, the report
# rendered from it and opened in headless chromium (figures in docs/performance.md; about 15 minutes).
bench-fleet: venv
	bash tests/support/ensure-packages.sh redis-server
	bash tests/browser/ensure-chromium.sh
	$(BIN)/python bench/fleet_cache.py --hosts 1000,5000,50000

# A real Kubernetes control plane: kube-apiserver, controller-manager, scheduler, kubectl, etcd, kwok and helm built
# from upstream's Go modules (tests/kube/*/go.mod) into ${HOSTOPS_BIN_CACHE:-/var/cache/hostops-fleet/bin}, once per
# version, then started on loopback by the tests (docs/testing.md). Not yet part of make test.
kube: venv
	bash tests/kube/build.sh
	$(BIN)/python -m pytest -q tests/integration/kube

# docs/modules, docs/plugins and docs/roles are generated by antsibull-docs (then pandoc, to Markdown) from
# DOCUMENTATION and argument_specs.yml (docs/build_docs.py).
docs: venv
	$(BIN)/python docs/build_docs.py

docs-check: venv
	$(BIN)/python docs/build_docs.py --check
	@# A fragment that YAML cannot read would stop the next release (one did, with ': ' in a plain scalar).
	$(BIN)/antsibull-changelog lint

# The fleet report in headless Debian chromium (installed here if missing; no browser download).
browser: venv
	bash tests/browser/ensure-chromium.sh
	$(BIN)/python -m pytest -q tests/browser

clean:
	rm -rf build .cache .collections .compat tests/output
