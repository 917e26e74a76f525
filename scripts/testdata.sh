#!/usr/bin/env bash
# What the tests read that is not in the repository, fetched once into .testdata/:
# - real photographs: the 2560x1600 JPEGs of Debian's plasma-workspace-wallpapers (no system
#   install: apt-get download and dpkg-deb -x);
# - OpenSeadragon, the IIIF viewer tests/test_iiif_viewer.py browses fitter's tiles with.
set -euo pipefail

wallpapers() {
  local dest=.testdata/wallpapers work
  [ -f "$dest/.done" ] && return 0
  work=$(mktemp -d)
  if ! (cd "$work" && apt-get download -qq plasma-workspace-wallpapers 2>/dev/null); then
    apt-get update -qq
    (cd "$work" && apt-get download -qq plasma-workspace-wallpapers)
  fi
  dpkg-deb -x "$work"/plasma-workspace-wallpapers_*.deb "$work/root"
  mkdir -p "$dest"
  for name in Autumn BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite; do
    cp "$work/root/usr/share/wallpapers/$name/contents/images/2560x1600.jpg" "$dest/$name.jpg"
  done
  cp "$work/root/usr/share/wallpapers/Flow/contents/images/5120x2880.jpg" "$dest/Flow-5120x2880.jpg"
  touch "$dest/.done"
  rm -rf "$work"
}

viewer() {
  local dest=.testdata/viewer
  [ -f "$dest/node_modules/openseadragon/build/openseadragon/openseadragon.min.js" ] && return 0
  npm install --silent --no-audit --no-fund --prefix "$dest" openseadragon@6.1.1
}

wallpapers
viewer
