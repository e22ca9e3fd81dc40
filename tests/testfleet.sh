#!/usr/bin/env bash
# Prepare the real systemd test fleet for Molecule without any image registry:
# a running Docker engine and local Debian images (bookworm, trixie) with
# systemd as PID 1 and python3, built with debootstrap + docker import.
# Idempotent: every step checks first and says what it did or skipped.
set -euo pipefail
# shellcheck source=tests/support/apt.sh
. "$(dirname "$0")/support/apt.sh"

IMAGE_PREFIX="${HOSTOPS_IMAGE_PREFIX:-hostops-fleet}"
SUITES="${HOSTOPS_SUITES:-bookworm trixie}"
MIRROR="${HOSTOPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
WORKDIR="${HOSTOPS_BUILD_DIR:-/var/tmp/hostops-fleet-build}"
DOCKERD_LOG="${HOSTOPS_DOCKERD_LOG:-/var/log/hostops-dockerd.log}"
PACKAGES="systemd,systemd-sysv,dbus,python3,python3-apt,sudo,iproute2,procps,ca-certificates,util-linux"

say() { printf 'testfleet: %s\n' "$*"; }
die() { printf 'testfleet: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it installs packages and starts dockerd); run: sudo $0"

apt_updated=0
ensure_package() {  # $1 = command that proves the package, $2 = Debian package
  if command -v "$1" >/dev/null 2>&1; then
    say "$2 already installed"
    return
  fi
  if [ "$apt_updated" -eq 0 ]; then
    apt_get update -qq >/dev/null || die "apt-get update failed; check network access to Debian's archive"
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt_get install -y -qq "$2" >/dev/null \
    || die "apt-get install $2 failed; install it by hand: apt-get install $2"
  say "installed $2"
}

engine_answers() { timeout 10 docker info >/dev/null 2>&1; }

ensure_engine() {
  ensure_package dockerd docker.io
  ensure_package debootstrap debootstrap
  if engine_answers; then
    say "Docker engine already answering"
    return
  fi
  say "starting dockerd in the background (log: $DOCKERD_LOG)"
  nohup dockerd >"$DOCKERD_LOG" 2>&1 &
  for _ in $(seq 1 60); do
    engine_answers && { say "Docker engine is up"; return; }
    sleep 1
  done
  die "dockerd did not answer within 60 s; see the last lines of $DOCKERD_LOG: $(tail -n 3 "$DOCKERD_LOG" | tr '\n' ' ')"
}

build_image() {  # $1 = Debian suite
  local suite="$1" tag="${IMAGE_PREFIX}:$1" root="${WORKDIR}/$1"
  if docker image inspect "$tag" >/dev/null 2>&1; then
    say "image $tag exists, skipped"
    return
  fi
  say "building $tag with debootstrap from $MIRROR (takes about 75 s)"
  rm -rf "$root"; mkdir -p "$root"
  if ! debootstrap --variant=minbase --include="$PACKAGES" "$suite" "$root" "$MIRROR" \
      >"${WORKDIR}/$suite.debootstrap.log" 2>&1; then
    die "debootstrap of $suite failed; see ${WORKDIR}/$suite.debootstrap.log ($(tail -n 1 "${WORKDIR}/$suite.debootstrap.log"))"
  fi
  # Units that cannot work in a container only slow the boot or degrade it.
  for unit in systemd-remount-fs.service getty@tty1.service console-getty.service \
      systemd-firstboot.service systemd-udevd.service systemd-modules-load.service; do
    ln -sf /dev/null "$root/etc/systemd/system/$unit"
  done
  echo "$suite-node" >"$root/etc/hostname"
  : >"$root/etc/machine-id"
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import \
    -c 'CMD ["/lib/systemd/systemd"]' -c 'ENV container=docker' \
    - "$tag" >/dev/null || die "docker import of $tag failed"
  rm -rf "$root"
  say "built $tag"
}

# Every container's systemd takes inotify instances from root's one per-user budget on the host (no user
# namespace). At the kernel's default of 128, the 20th or so systemd container fails at once with
# "Failed to allocate manager object: Too many open files" and exit code 255, nothing in docker logs
# (the same limit k3s-io/k3s#10020 hits with many pods, and that podman machine raises for its VMs,
# containers/podman#19848). Raise the budget, never lower it.
INOTIFY_INSTANCES="${HOSTOPS_INOTIFY_INSTANCES:-1024}"
ensure_inotify_budget() {
  local knob=/proc/sys/fs/inotify/max_user_instances current
  current="$(cat "$knob")"
  if [ "$current" -ge "$INOTIFY_INSTANCES" ]; then
    say "inotify instances per user: $current, enough"
    return
  fi
  echo "$INOTIFY_INSTANCES" >"$knob" || die "cannot raise $knob from $current to $INOTIFY_INSTANCES: run sysctl -w fs.inotify.max_user_instances=$INOTIFY_INSTANCES"
  say "raised inotify instances per user from $current to $INOTIFY_INSTANCES"
}

mkdir -p "$WORKDIR"
ensure_inotify_budget
ensure_engine
for suite in $SUITES; do build_image "$suite"; done
say "fleet ready: $(for s in $SUITES; do printf '%s ' "${IMAGE_PREFIX}:$s"; done)"
