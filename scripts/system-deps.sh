#!/usr/bin/env bash
# Install the system tools the simulation path and the test tiers use (Debian/Ubuntu):
# g++ and make (hls4ml C-simulation), Verilator (RTL simulation), yosys (area), tclsh
# (Tcl syntax checks). Only what is missing is installed. When something is missing and
# cannot be installed (not root, no apt-get, or apt-get failed) it says what and exits 1:
# `make test` and CI need every one of them. `--optional` (used by `make run`, whose build
# steps report what they could not run) only warns.
set -euo pipefail

optional=0
[ "${1:-}" = "--optional" ] && optional=1

missing() {
  local out=()
  command -v g++ >/dev/null   || out+=(g++)
  command -v make >/dev/null  || out+=(make)
  # the toolkit also finds Verilator through TOOLKIT_VERILATOR (toolkit/rtlgen/verilator.py)
  if ! command -v verilator >/dev/null && ! [ -x "${TOOLKIT_VERILATOR:-}" ]; then out+=(verilator); fi
  if ! command -v yosys >/dev/null && ! [ -x "${TOOLKIT_YOSYS:-}" ]; then out+=(yosys); fi
  command -v tclsh >/dev/null || out+=(tcl)
  echo "${out[@]}"
}

read -r -a need <<< "$(missing)"
[ ${#need[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || true  # an install from a stale list may still work; checked below
  apt-get install -y -qq --no-install-recommends "${need[@]}" || true
  read -r -a need <<< "$(missing)"
  [ ${#need[@]} -eq 0 ] && exit 0
  why="apt-get could not install them"
else
  why="not root or no apt-get here"
fi
if [ "$optional" = 1 ]; then
  echo "note: missing system packages: ${need[*]} ($why); the build steps that need them will say so" >&2
  exit 0
fi
echo "error: missing system packages: ${need[*]} ($why). Install them (e.g. sudo apt-get install ${need[*]})," \
     "or set TOOLKIT_VERILATOR / TOOLKIT_YOSYS to the executables: the test tiers need every one" >&2
exit 1
