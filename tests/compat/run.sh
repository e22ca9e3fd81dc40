#!/usr/bin/env bash
# One compat line of `make test`: the collection tarball installed into a venv of its own, with one
# ansible-core release on one Python, then the unit tests, ansible-test sanity, the ad-hoc module,
# the stdout callback and the fleet_report playbook (tests/compat/test_installed_collection.py).
#
#   tests/compat/run.sh CORE PYTHON TARBALL      e.g. tests/compat/run.sh 2.16 3.12 build/hostops-fleet-0.3.0.tar.gz
#
# CORE and PYTHON name the lock locks/compat-CORE-pyPYTHON.txt (`make lock` generates it, with hashes, from
# tests/compat/requirements-CORE.txt); PYTHON is a pyenv version (newest patch release installed).
# TARGET_PYTHONS (optional, e.g. "3.7") are extra target Pythons for the compile and import sanity tests.
# SKIP_SANITY_TESTS (optional, e.g. "pylint") are sanity tests left out, each named in the output: ansible-core
# 2.22.0's pylint test installs dill from a GitHub archive, which a machine without access to github.com cannot.
# The venv is kept in .compat/ while its lock is unchanged.
set -euo pipefail

core=$1 python=$2 tarball=$(realpath "$3")
checkout=$(cd "$(dirname "$0")/../.." && pwd)
pyenv_versions=${PYENV_ROOT:-$HOME/.pyenv}/versions
requirements=$checkout/locks/compat-$core-py$python.txt
test -f "$requirements" || {
  echo "no lock $requirements: add $core:$python to COMPAT_LINES in the Makefile and run make lock" >&2
  exit 1
}
line=$checkout/.compat/ansible-core-$core
venv=$line/venv
collections=$line/collections
sanity_root=${TMPDIR:-/tmp}/hostops-fleet-compat-$core
# The repository's ansible.cfg and collections path are exactly what a user of the tarball does not have:
# an empty configuration file stands for the defaults (ansible-core would otherwise read ./ansible.cfg).
unset ANSIBLE_COLLECTIONS_PATH
mkdir -p "$line"
: > "$line/ansible.cfg"
export ANSIBLE_CONFIG=$line/ansible.cfg

step() {
  echo "=== compat ansible-core $core, Python $python: $* (${SECONDS}s)"
}

pyenv_python() {
  local found
  found=$(find "$pyenv_versions" -maxdepth 1 -name "$1.*" -printf '%f\n' | sort -V | tail -n 1)
  test -n "$found" || { echo "no Python $1 under $pyenv_versions" >&2; exit 1; }
  echo "$pyenv_versions/$found/bin"
}

step "venv"
if ! cmp -s "$requirements" "$venv/.requirements"; then
  rm -rf "$venv"
  "$(pyenv_python "$python")/python" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps -r "$requirements"
  "$venv/bin/pip" check
  cp "$requirements" "$venv/.requirements"
fi
"$venv/bin/python" -c 'import sys, ansible.release; print("ansible-core", ansible.release.__version__, "on Python", sys.version.split()[0])'

step "install $(basename "$tarball")"
rm -rf "$collections"
# --force and a collections path of the target only: a hostops.fleet anywhere else (~/.ansible/collections)
# would otherwise count as installed, and nothing would be written here.
ANSIBLE_COLLECTIONS_PATH=$collections "$venv/bin/ansible-galaxy" collection install --offline --force --no-deps \
  -p "$collections" "$tarball" >/dev/null

step "unit tests and the installed collection in use"
cd "$checkout"
HOSTOPS_FLEET_COLLECTIONS=$collections "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit tests/compat

step "ansible-test sanity${SKIP_SANITY_TESTS:+ without $SKIP_SANITY_TESTS (SKIP_SANITY_TESTS)}"
skips=()
for test in ${SKIP_SANITY_TESTS:-}; do
  skips+=(--skip-test "$test")
done
# The installed files, plus the sanity configuration the tarball leaves out (tests/ is development only).
rm -rf "$sanity_root" && mkdir -p "$sanity_root/ansible_collections/hostops"
cp -a "$collections/ansible_collections/hostops/fleet" "$sanity_root/ansible_collections/hostops/fleet"
mkdir -p "$sanity_root/ansible_collections/hostops/fleet/tests"
cp tests/config.yml "$sanity_root/ansible_collections/hostops/fleet/tests/"
"$venv/bin/python" tests/sanity/seed_get_pip.py >/dev/null
cd "$sanity_root/ansible_collections/hostops/fleet"
"$venv/bin/ansible-test" sanity --venv --python "$python" --color no ${skips[@]+"${skips[@]}"}
for target in ${TARGET_PYTHONS:-}; do
  PATH=$(pyenv_python "$target"):$PATH "$venv/bin/ansible-test" sanity --venv --python "$target" --color no \
    --test compile --test import
done
rm -rf "$sanity_root"

step "passed"
