#!/bin/bash
# Installs the Debian packages facesearch needs to build, test and benchmark. Idempotent and silent when
# everything is already there. Needs root (or sudo) only when something is missing.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libopencv-dev libheif-dev libssl-dev
  nlohmann-json3-dev libcli11-dev libfmt-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libsqlite3-dev libhnswlib-dev
  libpq-dev
  nodejs npm
  libcpp-httplib-dev chromium
  python3 python3-opencv python3-numpy
  python3-dev pybind11-dev python3-pybind11 python3-pytest python3-venv
  libcurl4-openssl-dev unzip
  ffmpeg libavformat-dev libavcodec-dev libavutil-dev libswscale-dev
  libexiv2-dev exiv2
  libheif-examples  # bench/make_phone_set.sh: heif-enc makes the HEIC copies of the phone-like set
  clang-14 libclang-rt-14-dev  # scripts/fuzz.sh: libFuzzer and the sanitizer runtimes for clang
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# npm may come from NodeSource/nvm instead of Debian's package: a working npm on PATH is enough.
if command -v npm >/dev/null 2>&1; then
  missing=("${missing[@]/npm}"); missing=("${missing[@]/nodejs}")
fi
read -r -a missing <<<"${missing[*]:-}"
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
