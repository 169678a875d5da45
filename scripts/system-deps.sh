#!/usr/bin/env bash
# Install the system tools the simulation path and the test tiers use (Debian/Ubuntu):
# g++ and make (hls4ml C-simulation), Verilator (RTL simulation), yosys (area), tclsh
# (Tcl syntax checks). Only what is missing is installed; without root or apt-get it
# says what to install and carries on (the Verilator/yosys steps and tiers then skip).
set -euo pipefail

need=()
command -v g++ >/dev/null       || need+=(g++)
command -v make >/dev/null      || need+=(make)
command -v verilator >/dev/null || need+=(verilator)
command -v yosys >/dev/null     || need+=(yosys)
command -v tclsh >/dev/null     || need+=(tcl)
[ ${#need[@]} -eq 0 ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
else
  echo "note: missing system packages: ${need[*]} (install them, e.g. sudo apt-get install ${need[*]});" \
       "the steps and test tiers that need them will say so and skip" >&2
fi
