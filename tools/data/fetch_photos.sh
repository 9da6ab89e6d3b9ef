#!/usr/bin/env bash
# Fetches free photographs shipped in Debian packages, for ctnn_build_dataset.
#
# No root needed: `apt-get download` fetches each .deb into a scratch directory and
# `dpkg-deb -x` unpacks it there; the chosen photos are copied flat, with unique
# names, into the photo directory, and the packages' copyright files beside them.
# Only photographs are taken: drawn, rendered and abstract wallpapers are left out
# (see docs/data.md). Idempotent: a package whose photos are in place is skipped.
#
# Usage: tools/data/fetch_photos.sh [PHOTO_DIR]
#   PHOTO_DIR defaults to ${CTNN_CACHE:-$HOME/.cache/ctnn}/photos.
set -euo pipefail

if [[ "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
photos="${1:-${CTNN_CACHE:-$HOME/.cache/ctnn}/photos}"
licenses="$photos/LICENSES"
mkdir -p "$photos" "$licenses"

# The photographs, package by package (paths inside the unpacked package).
mate_dir=usr/share/backgrounds/mate/nature
mate_photos=(Aqua Blinds Dune FreshFlower Garden GreenMeadow LadyBird RainDrops Storm TwoWings
  Wood YellowFlower)

# KDE's wallpapers ship each picture in several sizes; 2560x1600 is the largest these have.
plasma_dir=usr/share/wallpapers
plasma_photos=(BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite
  OneStandsOut Path summer_1am)

lxqt_dir=usr/share/lxqt/wallpapers
lxqt_photos=(Butterfly-Kenneth-Wimer.jpg Valendas.png after-the-rain.jpg appleflower.png beam.png
  butterfly.png cloud.png drop.png flowers.png fog.jpg this-is-not-windows.jpg)

# Enlightenment keeps each background as JPEGs inside an .edj (Eet) archive.
e_dir=usr/share/enlightenment/data/backgrounds
e_photos=(Bamboo Foggy-Trees God-Rays Green-Maple Lichen-Branches Mountain Peaks Red-Maple
  Sea-of-Lanterns Snow-Trees Spruce-Needles Sunset-Clouds White-Flower Yellow-Flower)

work="$(mktemp -d "${TMPDIR:-/tmp}/ctnn-photos.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Downloads and unpacks package $1 into $work/$1 unless its photos are already in place.
# Returns 1 when the package is already done.
unpack() {
  local pkg=$1
  if [[ -f "$photos/.done-$pkg" ]]; then
    echo "$pkg: already fetched"
    return 1
  fi
  echo "$pkg: downloading"
  if ! (cd "$work" && apt-get download -q "$pkg" >"$work/$pkg.log" 2>&1); then
    echo "error: cannot download $pkg with apt-get download:" >&2
    sed 's/^/  /' "$work/$pkg.log" >&2
    echo "If the package is not found, the package lists are missing: run 'sudo apt-get update'" \
      "once (the Debian 12 'main' archive has $pkg)." >&2
    exit 1
  fi
  mkdir -p "$work/$pkg"
  dpkg-deb -x "$work/$pkg"_*.deb "$work/$pkg"
  rm -f "$work/$pkg"_*.deb
  cp "$work/$pkg/usr/share/doc/$pkg/copyright" "$licenses/$pkg.copyright"
}

# Copies $1 to $photos/$2, failing loudly if the package no longer has that file.
take() {
  if [[ ! -f "$1" ]]; then
    echo "error: expected photo $1 is missing from the package (did the package change?)" >&2
    exit 1
  fi
  cp "$1" "$photos/$2"
}

finish() {  # $1 = package, $2 = number of photos taken
  touch "$photos/.done-$1"
  rm -rf "${work:?}/$1"
  echo "$1: $2 photos"
}

if unpack mate-backgrounds; then
  for name in "${mate_photos[@]}"; do
    take "$work/mate-backgrounds/$mate_dir/$name.jpg" "mate-$name.jpg"
  done
  finish mate-backgrounds ${#mate_photos[@]}
fi

if unpack plasma-workspace-wallpapers; then
  for name in "${plasma_photos[@]}"; do
    take "$work/plasma-workspace-wallpapers/$plasma_dir/$name/contents/images/2560x1600.jpg" \
      "plasma-$name.jpg"
  done
  finish plasma-workspace-wallpapers ${#plasma_photos[@]}
fi

if unpack lxqt-themes; then
  for name in "${lxqt_photos[@]}"; do
    take "$work/lxqt-themes/$lxqt_dir/$name" "lxqt-$name"
  done
  # The wallpapers' own license note (CC-BY-SA-3.0 and credits).
  cp "$work/lxqt-themes/$lxqt_dir/License" "$licenses/lxqt-themes.wallpapers-License"
  finish lxqt-themes ${#lxqt_photos[@]}
fi

if unpack enlightenment-data; then
  for name in "${e_photos[@]}"; do
    edj="$work/enlightenment-data/$e_dir/$name.edj"
    if [[ ! -f "$edj" ]]; then
      echo "error: expected $edj is missing from the package (did the package change?)" >&2
      exit 1
    fi
    /usr/bin/python3 "$here/edj_jpegs.py" --max-width 2560 "$edj" "$photos/enlightenment-$name.jpg" \
      >/dev/null
  done
  finish enlightenment-data ${#e_photos[@]}
fi

count=$(find "$photos" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | wc -l)
echo "$count photos in $photos"
