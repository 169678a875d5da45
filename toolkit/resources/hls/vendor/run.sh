#!/bin/sh
# Build the FPGA image of @MODEL@ for @BOARD@ (@PART@) from this folder, accelerator @ACCELERATOR@:
#   1. (hls4ml only) @HLS_TOOL@ runs hls.tcl: C-synthesis of the accelerator, exported as a Vivado IP;
#   2. vivado runs block_design.tcl: PS + AXI DMA + accelerator, bitstream, reports.
# Needs vivado (and for hls4ml @HLS_TOOL@) on PATH (source <Xilinx>/settings64.sh first). Logs go to logs/.
# Afterwards: output/@BD@.bit + output/@BD@.hwh (the PYNQ pair) and reports/*.rpt.
set -e
cd "$(dirname "$0")"
mkdir -p logs
if [ "@ACCELERATOR@" = "hls4ml" ]; then
    echo "[1/2] @HLS_TOOL@ -f hls.tcl  (log: logs/hls.log)"
    @HLS_TOOL@ -f hls.tcl > logs/hls.log 2>&1
else
    echo "[1/2] no HLS: the accelerator is the generated RTL in rtl/ (the files Verilator simulated)"
fi
echo "[2/2] vivado -source block_design.tcl  (log: logs/vivado.log; synthesis + implementation take a while)"
vivado -mode batch -nojournal -nolog -source block_design.tcl > logs/vivado.log 2>&1
echo "done: output/@BD@.bit output/@BD@.hwh reports/"
