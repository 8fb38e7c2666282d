#!/usr/bin/env bash
# Install the system programs procmine needs, where they are missing and the
# system package manager allows it:
#   Graphviz (the `dot` program that draws maps and models) and a CJK font
#   (so Chinese labels render in PNG/PDF); with --test also Chromium, which the
#   report test uses to open the HTML report headless.
# Otherwise print one line saying what to install. Never fails the build: the
# commands that need a missing program say so themselves.
set -u
want_browser=0
[ "${1:-}" = "--test" ] && want_browser=1

missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if ! fc-list :lang=zh 2>/dev/null | grep -q .; then missing+=(fonts-noto-cjk); fi
if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null 2>&1 \
   && ! command -v chromium-browser >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1; then
  missing+=(chromium)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; fi
fi
if command -v apt-get >/dev/null 2>&1 && { [ "$(id -u)" = 0 ] || [ -n "$sudo" ]; }; then
  echo "Installing ${missing[*]} with apt-get ..." >&2
  $sudo apt-get update -qq >/dev/null 2>&1 || true
  if DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
       "${missing[@]}" >/tmp/procmine-apt.log 2>&1; then
    exit 0
  fi
  echo "Could not install ${missing[*]} with apt-get (see /tmp/procmine-apt.log)." >&2
elif command -v brew >/dev/null 2>&1; then
  pkgs=()
  for m in "${missing[@]}"; do
    case "$m" in
      graphviz) pkgs+=(graphviz) ;;
      fonts-noto-cjk) pkgs+=(--cask font-noto-sans-cjk-sc) ;;
      chromium) pkgs+=(--cask chromium) ;;
    esac
  done
  brew install "${pkgs[@]}" && exit 0
fi
echo "Please install: ${missing[*]} (Graphviz draws the maps, a CJK font such as Noto Sans CJK renders Chinese labels, Chromium runs the report test)." >&2
exit 0
