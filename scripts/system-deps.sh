#!/usr/bin/env bash
# Debian packages the test suite needs (see shared/reference/environment.md).
# Installs them when run as root; otherwise says which are missing.
set -euo pipefail
packages=(xvfb xauth libxkbcommon-x11-0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
          libxcb-render-util0 libxcb-xinerama0 libxcb-xfixes0 libxcb-shape0 libxcb-cursor0 dcmtk
          dicom3tools postgresql orthanc orthanc-dicomweb)
command -v dpkg-query >/dev/null 2>&1 || { echo "system-deps: not a Debian system; skipping"; exit 0; }
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "system-deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "system-deps: missing Debian packages (install as root): ${missing[*]}" >&2
    echo "system-deps: tests that need them will be skipped" >&2
fi
