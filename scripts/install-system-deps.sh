#!/usr/bin/env bash
# Makes sure the system tools Gander and its tests need are present: python3 with venv, a C/C++ toolchain (pip
# builds llama.cpp from source), git, tmux, bubblewrap, tinyproxy, Chromium, poppler-utils, ImageMagick, secret-tool
# and GNOME Keyring, cron, and the -dev packages of zlib and libcurl. Installs missing ones
# with apt-get when it can; does nothing when all are there, so it is cheap to run every time.
set -euo pipefail
missing=()
command -v python3 >/dev/null 2>&1 && python3 -c "import venv, ensurepip" >/dev/null 2>&1 || missing+=(python3 python3-venv python3-pip)
command -v cc >/dev/null 2>&1 && command -v c++ >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || missing+=(build-essential)
command -v git >/dev/null 2>&1 || missing+=(git)
# The interactive session is tested for real inside tmux.
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
# Commands the model runs are fenced with bubblewrap (the default in auto mode), and the tests run it for real.
command -v bwrap >/dev/null 2>&1 || missing+=(bubblewrap)
# The proxy test runs a real HTTP proxy on loopback.
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || missing+=(tinyproxy)
# The browser tools drive a real headless Chromium, the editor reads PDFs with poppler-utils' pdftotext and shrinks
# large pictures with ImageMagick; the tests use all three for real.
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || command -v google-chrome >/dev/null 2>&1 || missing+=(chromium)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -x /usr/bin/convert ] || command -v magick >/dev/null 2>&1 || missing+=(imagemagick)
# developer__screenshot captures X11 with ImageMagick's import and finds windows with xwininfo; its test runs Xvfb
# with xlogo.
command -v xwininfo >/dev/null 2>&1 || missing+=(x11-utils)
command -v Xvfb >/dev/null 2>&1 || missing+=(xvfb)
command -v xlogo >/dev/null 2>&1 || missing+=(x11-apps)
# gander configure keeps keys in the desktop's keyring through libsecret's secret-tool; its test runs GNOME Keyring on
# a private D-Bus session bus (dbus-daemon, dbus-send).
command -v secret-tool >/dev/null 2>&1 || missing+=(libsecret-tools)
command -v gnome-keyring-daemon >/dev/null 2>&1 || missing+=(gnome-keyring)
command -v dbus-daemon >/dev/null 2>&1 && command -v dbus-send >/dev/null 2>&1 || missing+=(dbus-daemon dbus-bin)
# gander schedule hands jobs to the user's crontab where no user systemd runs; its test writes a real crontab.
command -v crontab >/dev/null 2>&1 || missing+=(cron)
# Gander's Jinja engine (chat templates, recipes) is tested against the real jinja2.
python3 -c "import jinja2" >/dev/null 2>&1 || missing+=(python3-jinja2)
# DOCX and XLSX are zip archives, read with ZIPFoundation, which builds against zlib's headers.
[ -e /usr/include/zlib.h ] || missing+=(zlib1g-dev)
# Release builds link Foundation statically, and with it libcurl (scripts/release-build.sh).
compgen -G "/usr/lib/*/libcurl.so" >/dev/null || compgen -G "/usr/lib/libcurl.so" >/dev/null || missing+=(libcurl4-openssl-dev)
[ ${#missing[@]} -eq 0 ] && exit 0
# apt knows a package when its lists name a version to install. A fresh machine often has no lists at all, and
# installing before refreshing them would print "Unable to locate package" before recovering.
apt_knows() {
  apt-cache policy "$1" 2>/dev/null | grep -q 'Candidate: [^(]'
}
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
  for package in "${missing[@]}"; do
    if ! apt_knows "$package"; then
      echo "gander: refreshing the package lists"
      apt-get update -q >/dev/null
      break
    fi
  done
  echo "gander: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
else
  echo "gander: please install ${missing[*]} (e.g. sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
