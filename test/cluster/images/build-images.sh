#!/usr/bin/env bash
# Builds the container images the real (kubelet + containerd + runc) test node runs, without Docker:
# no engine and no registry exist on the test machines, so each image is written here as an OCI image
# layout (tar + gzip + sha256 + index.json, by hand) and handed to `ctr -n k8s.io images import` as a
# tar of that layout. Sources: the Go toolchain (pause), the Debian mirror through debootstrap
# (runner), and this repository plus the host's own libraries (doctor). Nothing else is contacted.
#
#   build-images.sh            pause + runner   (the base images; change only when this recipe does)
#   build-images.sh --doctor   doctor only      (rebuilt whenever dist/ changes)
#   build-images.sh --all      all three
#
# Cached under ${XDG_CACHE_HOME:-$HOME/.cache}/runner-doctor/images/<name>-<key>/, where <key> hashes
# the recipe (the bash functions that build that image, printed by `declare -f`) and its inputs, so an
# edit to a recipe rebuilds just that image and a warm run only hashes a few files.
# stdout: one line per image, tab-separated: ref, archive (for ctr import), OCI layout dir (for
# `umoci unpack --image <layout>:<tag>`), manifest digest, "cached" or "built". Progress goes to stderr.
set -euo pipefail
umask 022
# C locale: byte-wise sort order for stable layer digests, and ${#json} counts bytes for descriptor sizes.
export LC_ALL=C

# The warm path (every image cached) is what tests pay on each run, so it avoids needless forks.
src="${BASH_SOURCE[0]}"; [[ "$src" == */* ]] || src="./$src"
HERE=$(cd "${src%/*}" && pwd -P)
REPO="${HERE%/test/cluster/images}"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/runner-doctor/images"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
GO="${GO:-$(type -P go || echo /usr/local/go/bin/go)}"
NODE_BIN="$REPO/node_modules/node/bin/node"
case "$HOSTTYPE" in x86_64) ARCH=amd64 ;; aarch64) ARCH=arm64 ;; *) echo "unsupported machine $HOSTTYPE" >&2; exit 1 ;; esac

PAUSE_REF=runner-doctor.local/pause:1
RUNNER_REF=runner-doctor.local/runner:1
pkg_json=$(<"$REPO/package.json")
[[ "$pkg_json" =~ \"version\":\ *\"([^\"]+)\" ]] || { echo "no version in $REPO/package.json" >&2; exit 1; }
DOCTOR_VERSION="${BASH_REMATCH[1]}"
DOCTOR_REF="runner-doctor.local/doctor:$DOCTOR_VERSION"

# What the runner image holds on top of debootstrap's minbase (which already brings dash, coreutils,
# grep, sed, findutils, tar, gzip): the two runtimes the vendor's runner uses and the CA bundle.
# python3 (not python3-minimal): json, http, urllib, ssl and friends live in libpython3.11-stdlib.
# No curl and no wget on purpose: python3 is the runner's network tool.
RUNNER_PACKAGES=python3,openjdk-17-jre-headless,ca-certificates,procps

log() { echo "images: $*" >&2; }
ms_now() { date +%s%3N; }

# ---------------------------------------------------------------------------------------------------
# OCI layout writer. One gzip layer, config, manifest and an index whose entry carries both the tag
# (org.opencontainers.image.ref.name, what umoci and skopeo look up) and the full name
# (io.containerd.image.name, which `ctr images import` names the image by; with only a bare tag ctr
# would need --base-name). The layer tar keeps numeric owners exactly as they are on disk: this runs
# as root, so what a recipe chowns is what the image gets, and everything else is 0:0.
oci_write() { # <layout dir> <rootfs dir> <ref> <image config json> <created_by>
  local layout=$1 rootfs=$2 ref=$3 config=$4 by=$5
  local blobs="$layout/blobs/sha256" created diff_id layer_digest layer_size cfg_json cfg_digest man_json man_digest
  created=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  mkdir -p "$blobs"
  printf '{"imageLayoutVersion":"1.0.0"}' > "$layout/oci-layout"
  # --sort=name: stable entry order, so unchanged input gives an unchanged layer digest.
  tar -C "$rootfs" --numeric-owner --sort=name -cf "$layout/layer.tar" .
  diff_id=$(sha256sum < "$layout/layer.tar" | cut -d' ' -f1)
  gzip -n -6 "$layout/layer.tar"
  layer_digest=$(sha256sum < "$layout/layer.tar.gz" | cut -d' ' -f1)
  layer_size=$(stat -c %s "$layout/layer.tar.gz")
  mv "$layout/layer.tar.gz" "$blobs/$layer_digest"

  cfg_json=$(jq -cn --arg created "$created" --arg arch "$ARCH" --argjson config "$config" \
    --arg diff "sha256:$diff_id" --arg by "$by" \
    '{created: $created, architecture: $arch, os: "linux", config: $config,
      rootfs: {type: "layers", diff_ids: [$diff]}, history: [{created: $created, created_by: $by}]}')
  cfg_digest=$(printf '%s' "$cfg_json" | sha256sum | cut -d' ' -f1)
  printf '%s' "$cfg_json" > "$blobs/$cfg_digest"

  man_json=$(jq -cn --arg cd "sha256:$cfg_digest" --argjson cs "${#cfg_json}" \
    --arg ld "sha256:$layer_digest" --argjson ls "$layer_size" --arg created "$created" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $cd, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: $ld, size: $ls}],
      annotations: {"org.opencontainers.image.created": $created}}')
  man_digest=$(printf '%s' "$man_json" | sha256sum | cut -d' ' -f1)
  printf '%s' "$man_json" > "$blobs/$man_digest"

  jq -cn --arg md "sha256:$man_digest" --argjson ms "${#man_json}" --arg arch "$ARCH" \
    --arg tag "${ref##*:}" --arg ref "$ref" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json", digest: $md, size: $ms,
        platform: {architecture: $arch, os: "linux"},
        annotations: {"org.opencontainers.image.ref.name": $tag, "io.containerd.image.name": $ref}}]}' \
    > "$layout/index.json"
  echo "sha256:$man_digest" > "$layout/../digest"
}

# ---------------------------------------------------------------------------------------------------
# Recipes. Each fills <work>/rootfs and writes <work>/layout; its body is part of its cache key.

recipe_pause() { # <work>
  local root="$1/rootfs"
  mkdir -p "$root"
  # -buildvcs=false: the repository's git state must not leak into (and change) the binary.
  (cd "$HERE/pause" && GOTOOLCHAIN=local GOFLAGS=-mod=mod CGO_ENABLED=0 \
    "$GO" build -trimpath -buildvcs=false -ldflags "-s -w" -o "$root/pause" .)
  chown -R 0:0 "$root"
  # 65535 like the upstream pause image: the sandbox never needs root.
  oci_write "$1/layout" "$root" "$PAUSE_REF" \
    '{"User":"65535:65535","Entrypoint":["/pause"]}' "runner-doctor pause (Go, static)"
}

recipe_runner() { # <work>
  local root="$1/rootfs"
  mkdir -p "$root" "$CACHE/debs"
  # minbase + the packages above; --cache-dir keeps the .debs, so a recipe edit re-downloads nothing.
  debootstrap --variant=minbase --components=main --include="$RUNNER_PACKAGES" \
    --cache-dir="$CACHE/debs" bookworm "$root" "$MIRROR" > "$1/debootstrap.log" 2>&1 || {
    tail -n 30 "$1/debootstrap.log" >&2; [ -f "$root/debootstrap/debootstrap.log" ] && tail -n 30 "$root/debootstrap/debootstrap.log" >&2
    return 1
  }
  assert_no_mounts "$1"

  # The vendor's guides run the runner as UID/GID 65534 named agentuser with home /home/agentuser.
  # Debian calls 65534 nobody/nogroup, so rename those entries rather than add a second 65534.
  sed -i 's|^nobody:x:65534:65534:.*$|agentuser:x:65534:65534:agentuser:/home/agentuser:/bin/sh|' "$root/etc/passwd"
  sed -i 's|^nogroup:x:65534:|agentuser:x:65534:|' "$root/etc/group"
  sed -i 's|^nobody:|agentuser:|' "$root/etc/shadow"
  sed -i 's|^nogroup:|agentuser:|' "$root/etc/gshadow"
  grep -qx 'agentuser:x:65534:65534:agentuser:/home/agentuser:/bin/sh' "$root/etc/passwd"
  grep -q '^agentuser:x:65534:' "$root/etc/group"
  install -d -m 0755 -o 65534 -g 65534 "$root/home/agentuser"

  # Size: drop documentation (keeping licences), manuals, translations, apt's lists and caches, logs.
  find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf --one-file-system "$root"/usr/share/{man,info,lintian,linda,locale}/* "$root"/var/cache/apt/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old \
    "$root"/var/log/* "$root/debootstrap"
  # debootstrap's device nodes and the host's resolver/hostname it copied in do not belong in an image:
  # the runtime provides /dev, and the kubelet mounts resolv.conf, hosts and hostname.
  rm -rf --one-file-system "${root:?}"/dev/* "$root"/tmp/* "$root"/run/*
  rm -f "$root/etc/resolv.conf" "$root/etc/hostname"
  : > "$root/etc/machine-id"

  # The agent stand-in (test/cluster/images/runner/Agent.java), compiled here with the host's JDK for the
  # image's Java 17: a real JVM with the heap flags a runner has, serving the runner's metrics on 8080.
  install -d -m 0755 "$root/opt/runner"
  javac --release 17 -d "$root/opt/runner" "$HERE/runner/Agent.java"

  # A JRE needs no javac symbol table, and the CDS archive for uncompressed oops serves only heaps of
  # 32 GiB and more (the JVM runs without sharing then): 20 MB the tests never use.
  rm -f "$root"/usr/lib/jvm/java-17-openjdk-*/lib/ct.sym "$root"/usr/lib/jvm/java-17-openjdk-*/lib/server/classes_nocoops.jsa

  # Checks of the result, in a chroot as the user (no network used): the runtimes the probe looks for.
  # java needs /proc (the loader resolves $ORIGIN through /proc/self/exe); the EXIT trap unmounts it
  # if a check fails.
  mount -t proc proc "$root/proc"
  chroot --userspec=65534:65534 "$root" /usr/bin/env -i HOME=/home/agentuser PATH=/usr/bin:/bin /bin/sh -c '
    set -e
    python3 -c "import ssl, socket, json, base64, urllib.request, http.server; print(\"python\", ssl.OPENSSL_VERSION)"
    v=$(java -version 2>&1); echo "$v" | head -n 1
    test "$(id -un)" = agentuser && : > /home/agentuser/.w && rm /home/agentuser/.w
    test -s /etc/ssl/certs/ca-certificates.crt && test -s /etc/ssl/certs/java/cacerts
    ! command -v curl && ! command -v wget
    java -cp /opt/runner Agent --self-test | grep -q "^app_agent_status"' >&2
  umount "$root/proc"

  oci_write "$1/layout" "$root" "$RUNNER_REF" "$(jq -cn '{
      User: "65534:65534", WorkingDir: "/home/agentuser",
      Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8",
            "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-'"$ARCH"'"],
      Cmd: ["java", "-XX:MaxRAMPercentage=75", "-cp", "/opt/runner", "Agent"]}')" \
    "debootstrap bookworm minbase + $RUNNER_PACKAGES"
}

recipe_doctor() { # <work>
  local root="$1/rootfs" lib
  # Node only, no shell, no package manager: the binary, exactly the libraries ldd names (at the paths
  # it names, the loader included), user and group 65534, the host's CA bundle, /tmp, the bundle.
  install -d -m 0755 "$root"/{usr/local/bin,etc/ssl/certs,app}
  install -d -m 1777 "$root/tmp"
  install -m 0755 "$NODE_BIN" "$root/usr/local/bin/node"
  for lib in $(node_libs); do
    install -D -m "$(stat -L -c %a "$lib")" "$lib" "$root$lib"   # install copies through symlinks
  done
  printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  # glibc >= 2.34 has files and dns built in; this only says to read /etc/hosts (hostAliases) first.
  printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
  install -m 0644 /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
  cp -r "$REPO/dist" "$root/app/dist"
  install -m 0644 "$REPO/package.json" "$root/app/package.json"
  chown -R 0:0 "$root"
  chown 0:0 "$root/tmp" && chmod 1777 "$root/tmp"
  oci_write "$1/layout" "$root" "$DOCTOR_REF" "$(jq -cn '{
      User: "65534:65534", WorkingDir: "/app", Env: ["PATH=/usr/local/bin"],
      Entrypoint: ["/usr/local/bin/node", "/app/dist/runner-doctor.mjs"]}')" \
    "runner-doctor $DOCTOR_VERSION on node $("$NODE_BIN" --version)"
}

# ---------------------------------------------------------------------------------------------------
# Cache keys: the recipe (its function bodies and the shared writer) plus the inputs it reads.
hash() { local h; h=$(sha256sum); echo "${h:0:16}"; }
files_hash() { # <dir>: names and contents of every file below it
  (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
# memo <name> <signature> <command...>: the command's output, remembered under a hash of the
# signature; how a warm run gets a content hash of dist/ or node's ldd list from a cheap stat.
memo() {
  local f="$CACHE/.memo/$1-$(printf '%s' "$2" | hash)"; shift 2
  if [ ! -s "$f" ]; then
    mkdir -p "$CACHE/.memo"
    find "$CACHE/.memo" -type f -mtime +14 -delete
    "$@" > "$f.$$" && mv "$f.$$" "$f"
  fi
  echo "$(<"$f")"
}
node_libs() { ldd "$NODE_BIN" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'; }
dist_hash() { files_hash "$REPO/dist" | hash; }
go_version() { if [ -f "$GO_ROOT/VERSION" ]; then head -n 1 "$GO_ROOT/VERSION"; else "$GO" env GOVERSION; fi; }

key_pause() {
  GO_ROOT=$(realpath "$GO"); GO_ROOT="${GO_ROOT%/bin/go}"
  { declare -f recipe_pause oci_write; echo "$PAUSE_REF"; cat "$HERE/pause/go.mod" "$HERE/pause/main.go"; go_version; } | hash
}
key_runner() { { declare -f recipe_runner oci_write; echo "$RUNNER_REF $RUNNER_PACKAGES $MIRROR"; cat "$HERE/runner/Agent.java"; } | hash; }
key_doctor() {
  # dist/ by content (a rebuild that writes the same bytes hits the same image), memoised by the
  # files' names, sizes and mtimes; node and its libraries by size and mtime (hashing 126 MB of node
  # on every run would cost more than the whole warm path).
  local node_stat libs
  node_stat=$(stat -L -c '%n %s %Y' "$NODE_BIN")
  libs=$(memo node-libs "$node_stat" node_libs)
  { declare -f recipe_doctor oci_write; echo "$DOCTOR_REF"; echo "$pkg_json"
    memo dist "$(cd "$REPO/dist" && find . -type f -printf '%P %s %T@\n' | LC_ALL=C sort)" dist_hash
    stat -L -c '%n %s %Y' "$NODE_BIN" $libs /etc/ssl/certs/ca-certificates.crt
  } | hash
}

# Anything still mounted below a work dir (debootstrap mounts proc and sys in its target, and unmounts
# them itself unless it was killed) must go before rm -rf, or rm would walk into the host's /proc.
unmount_below() {
  local m
  for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do umount -l "$m" || true; done
}
assert_no_mounts() {
  if awk -v d="$1/" 'index($2, d) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    unmount_below "$1"
  fi
}

WORK=""
cleanup() {
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    unmount_below "$WORK"
    rm -rf --one-file-system "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# build <name> <ref>: prints the image's line, building it first unless its keyed dir is complete.
build() {
  local name=$1 ref=$2 key dir started stale
  key=$("key_$name")
  dir="$CACHE/$name-$key"
  if [ ! -f "$dir/done" ]; then
    [ "$EUID" = 0 ] || { echo "images: building $ref needs root (debootstrap, chroot, chown)" >&2; exit 1; }
    mkdir -p "$CACHE"
    # One builder at a time per cache (parallel test runs); re-check once the lock is held.
    exec {lock}> "$CACHE/.lock"
    flock "$lock"
    if [ ! -f "$dir/done" ]; then
      started=$(ms_now)
      # Leftovers of a killed build (we hold the lock, so nobody else is using them).
      for stale in "$CACHE/.build-$name."*; do [ -d "$stale" ] && { unmount_below "$stale"; rm -rf --one-file-system "$stale"; }; done
      log "building $ref (key $key)"
      WORK=$(mktemp -d "$CACHE/.build-$name.XXXXXX") && chmod 0755 "$WORK"
      "recipe_$name" "$WORK"
      # The tar ctr imports: the layout's files as they are (blobs are already gzip'd).
      tar -C "$WORK/layout" -cf "$WORK/image.tar" oci-layout index.json blobs
      echo "$ref" > "$WORK/ref"
      rm -rf --one-file-system "$WORK/rootfs"
      rm -rf "$dir"
      mv "$WORK" "$dir"
      WORK=""
      : > "$dir/done"
      # Older builds of the same image are never used again.
      find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "$name-*" ! -path "$dir" -exec rm -rf --one-file-system {} +
      log "built $ref in $(( $(ms_now) - started )) ms: $(stat -c %s "$dir/image.tar" | numfmt --to=iec) archive"
      printf '%s\t%s\t%s\t%s\tbuilt\n' "$ref" "$dir/image.tar" "$dir/layout" "$(<"$dir/digest")"
      flock -u "$lock"
      return
    fi
    flock -u "$lock"
  fi
  printf '%s\t%s\t%s\t%s\tcached\n' "$ref" "$dir/image.tar" "$dir/layout" "$(<"$dir/digest")"
}

want_base=1 want_doctor=0
case "${1:-}" in
  "") ;;
  --doctor) want_base=0 want_doctor=1 ;;
  --all) want_doctor=1 ;;
  *) echo "usage: $0 [--doctor|--all]" >&2; exit 2 ;;
esac

if [ "$want_base" = 1 ]; then
  build pause "$PAUSE_REF"
  build runner "$RUNNER_REF"
fi
if [ "$want_doctor" = 1 ]; then
  if [ ! -f "$REPO/dist/runner-doctor.mjs" ]; then
    log "dist/ missing: building it"
    (cd "$REPO" && "$REPO/node_modules/.bin/node" scripts/build.mjs) >&2
  fi
  build doctor "$DOCTOR_REF"
fi
