#!/usr/bin/env bash
# Real photographs for the tests: the 2560x1600 JPEGs of Debian's plasma-workspace-wallpapers,
# unpacked into .testdata/ (no system install: apt-get download and dpkg-deb -x).
set -euo pipefail
dest=.testdata/wallpapers
[ -f "$dest/.done" ] && exit 0
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd_back=$PWD
if ! (cd "$work" && apt-get download -qq plasma-workspace-wallpapers 2>/dev/null); then
  apt-get update -qq
  (cd "$work" && apt-get download -qq plasma-workspace-wallpapers)
fi
dpkg-deb -x "$work"/plasma-workspace-wallpapers_*.deb "$work/root"
mkdir -p "$cd_back/$dest"
for name in Autumn BytheWater ColdRipple ColorfulCups DarkestHour EveningGlow FallenLeaf Grey Kite; do
  cp "$work/root/usr/share/wallpapers/$name/contents/images/2560x1600.jpg" "$cd_back/$dest/$name.jpg"
done
cp "$work/root/usr/share/wallpapers/Flow/contents/images/5120x2880.jpg" "$cd_back/$dest/Flow-5120x2880.jpg"
touch "$cd_back/$dest/.done"
