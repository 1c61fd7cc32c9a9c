#!/usr/bin/env bash
# Builds the node base image from Debian packages (no container registry needed):
#   debootstrap --variant=minbase bookworm  ->  docker import  ->  apt-get install the
#   packages of packages.txt in a container  ->  docker commit.
# Tagged faultline-node:<hash of this recipe> and faultline-node:latest. Does nothing when the
# tagged image already exists, so a second run takes about a second.
# The rootfs tarball is cached in .cache/ (ignored by git).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="$root/.cache/image"
mirror="${FAULTLINE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
suite=bookworm

# The recipe hash must match harness/runtime/image.ts (sha256 of these files, in this order).
hash="$(cat "$here/build.sh" "$here/packages.txt" | sha256sum | cut -c1-12)"
tag="faultline-node:$hash"

if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "image: $tag is up to date"
  docker tag "$tag" faultline-node:latest
  exit 0
fi
echo "image: building $tag (a few minutes the first time)"

if [ "$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then
  echo "image: building the node image needs root and debootstrap (apt-get install debootstrap)." >&2
  exit 5
fi

mkdir -p "$cache"
base_tar="$cache/$suite-minbase.tar"
if [ ! -s "$base_tar" ]; then
  rootfs="$(mktemp -d "$cache/rootfs.XXXXXX")"
  trap 'rm -rf "$rootfs"' EXIT
  echo "image: debootstrap $suite (minbase) from $mirror"
  debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
    || { tail -n 20 "$cache/debootstrap.log" >&2; echo "image: debootstrap failed; see .cache/image/debootstrap.log." >&2; exit 5; }
  # Keep the image small: no apt lists or package cache in the base layer.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -cf "$base_tar.tmp" .
  mv "$base_tar.tmp" "$base_tar"
  rm -rf "$rootfs"
  trap - EXIT
fi

base="faultline-base:$suite"
if ! docker image inspect "$base" >/dev/null 2>&1; then
  docker import "$base_tar" "$base" >/dev/null
fi

packages="$(grep -v '^\s*#' "$here/packages.txt" | tr '\n' ' ')"
builder="faultline-image-build-$$"
docker rm -f "$builder" >/dev/null 2>&1 || true
# Host networking: the build container fetches packages exactly as the host's apt does.
docker run --name "$builder" --network host "$base" /bin/sh -c "
  set -e
  export DEBIAN_FRONTEND=noninteractive
  echo 'deb $mirror $suite main' > /etc/apt/sources.list
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends $packages >/dev/null
  apt-get clean
  rm -rf /var/lib/apt/lists/*
  mkdir -p /data /faultline
  # One arch-independent path for LD_PRELOAD (the runtime's clock fault uses it).
  ln -sf \$(dpkg -L libfaketime | grep '/faketime/libfaketime.so.1\$') /usr/local/lib/libfaketime.so.1
" || { docker rm -f "$builder" >/dev/null 2>&1; echo "image: installing packages failed (see above)." >&2; exit 5; }
docker commit \
  --change 'LABEL faultline.image=1' \
  --change 'CMD ["sleep", "infinity"]' \
  --change 'WORKDIR /data' \
  "$builder" "$tag" >/dev/null
docker rm -f "$builder" >/dev/null
docker tag "$tag" faultline-node:latest
echo "image: built $tag"
