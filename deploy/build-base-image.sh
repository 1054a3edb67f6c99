#!/usr/bin/env bash
# Builds the local base image db9-base:bookworm without pulling anything from a registry:
# debootstrap makes a minimal Debian bookworm rootfs from the Debian package mirror, and
# `docker import` turns it into an image. Use it where no image registry is reachable, then
#   DB9_BASE_IMAGE=db9-base:bookworm docker compose -f deploy/compose.yml build
#
# Usage: deploy/build-base-image.sh [--force] [--no-host-ca]
#   --force       rebuild even if the image already exists
#   --no-host-ca  do not copy this host's extra CA certificates into the image
# The certificates this host added to its trust store (/usr/local/share/ca-certificates, e.g.
# a TLS-intercepting proxy's CA) are copied in by default, so pip in image builds reaches PyPI
# the same way the host does.
# Environment: DB9_LOCAL_BASE_IMAGE (image name, default db9-base:bookworm),
#              DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail

image="${DB9_LOCAL_BASE_IMAGE:-db9-base:bookworm}"
suite=bookworm
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# python for the venv; ca-certificates for pip over https; iproute2/iptables/procps for the
# fault tests (tc, ip, partitions, ps/pkill inside containers); libjemalloc2 for the server's
# allocator (control/allocator.py).
packages=python3,python3-venv,python3-pip,ca-certificates,iproute2,iptables,procps,libjemalloc2
force=0
host_ca=1
host_ca_dir=/usr/local/share/ca-certificates

log() { echo "build-base-image: $*"; }
die() { echo "build-base-image: error: $*" >&2; exit 1; }
# Anything else that fails still ends with one line saying what.
trap 'echo "build-base-image: error: line $LINENO failed: $BASH_COMMAND" >&2' ERR

for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    --no-host-ca) host_ca=0 ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) die "unknown argument '$arg' (try --help)" ;;
  esac
done

[ "$(id -u)" = 0 ] || die "must run as root (debootstrap needs root)"
command -v docker >/dev/null || die "docker is not installed"
docker info >/dev/null 2>&1 || die "cannot talk to the docker daemon"

# Idempotent: an existing image is kept unless --force.
if [ "$force" = 0 ] && docker image inspect "$image" >/dev/null 2>&1; then
  log "$image already exists, nothing to do (use --force to rebuild)"
  exit 0
fi

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null || die "apt-get update failed"
  apt-get install -y -qq debootstrap >/dev/null || die "apt-get install debootstrap failed"
fi

# The rootfs lives in a temp dir that is always removed, also on failure or Ctrl-C.
work="$(mktemp -d /var/tmp/db9-rootfs.XXXXXX)"
rootfs="$work/rootfs"
cleanup() {
  # debootstrap can leave /proc or /sys mounted inside the rootfs when it fails.
  for m in proc sys dev/pts dev; do
    if mountpoint -q "$rootfs/$m" 2>/dev/null; then umount -l "$rootfs/$m" || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT

start=$SECONDS
log "debootstrap --variant=minbase $suite from $mirror into $rootfs"
log "  including: $packages"
if ! debootstrap --variant=minbase --include="$packages" "$suite" "$rootfs" "$mirror" \
    >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  die "debootstrap failed (last lines of its log above)"
fi

host_cas=()
[ "$host_ca" = 1 ] && [ -d "$host_ca_dir" ] \
  && mapfile -t host_cas < <(find "$host_ca_dir" -maxdepth 1 -name '*.crt' -type f)
if [ ${#host_cas[@]} -gt 0 ]; then
  log "trusting this host's extra CA certificates: ${host_cas[*]##*/}"
  cp "${host_cas[@]}" "$rootfs/usr/local/share/ca-certificates/"
  chroot "$rootfs" update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed in the rootfs"
fi

log "trimming the rootfs (apt caches and lists, docs, man pages)"
cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror $suite main
deb $mirror $suite-updates main
deb http://deb.debian.org/debian-security $suite-security main
SOURCES
rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/* "$rootfs"/var/log/* \
  "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* \
  "$rootfs"/etc/hostname "$rootfs"/etc/resolv.conf
find "$rootfs" -name __pycache__ -type d -prune -exec rm -rf {} +

old_id="$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)"
log "importing the rootfs as $image"
# Docker mounts /dev, /proc and /sys itself, so their contents are left out.
tar --numeric-owner -C "$rootfs" --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
    -c . \
  | docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'ENV LANG=C.UTF-8' \
      -c 'CMD ["/bin/bash"]' \
      -m "debootstrap --variant=minbase $suite (+ $packages)" \
      - "$image" >/dev/null \
  || die "docker import of the rootfs failed"

# A rebuild leaves the previous image untagged: drop it unless other images still use it.
new_id="$(docker image inspect -f '{{.Id}}' "$image")"
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
size="$(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')"
log "done: $image ($size) in $((SECONDS - start))s"
