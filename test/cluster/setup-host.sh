#!/usr/bin/env bash
# What the real test node and the image builder need from this machine, installed once (Debian packages;
# root only) — used by `npm run demo` and .ci/run — then the test images (built without Docker, cached).
# Without root nothing is installed: the harness then runs the runner pods as kwok fakes and says why.
set -uo pipefail
cd "$(dirname "$0")/../.."

need=()
for p in libxml2-utils runc containernetworking-plugins iptables iproute2 util-linux debootstrap umoci jq prometheus-pushgateway; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
command -v javac >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "--- installing ${need[*]}"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}") >/dev/null 2>&1 || echo "warning: could not install ${need[*]}"
  else
    echo "note: not root, so ${need[*]} are not installed (the real test node and the Pushgateway tests need them)"
  fi
fi

if [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null 2>&1; then
  echo "--- test images (built once without Docker, cached under \${XDG_CACHE_HOME:-\$HOME/.cache}/runner-doctor/images)"
  bash test/cluster/images/build-images.sh >/dev/null || { echo "image build failed"; exit 1; }
fi
