# HLS: C-synthesis of the toolkit's AXI-Stream top around the hls4ml network, exported as a
# Vivado IP (ip_catalog). Run in this folder: `vitis_hls -f hls.tcl` (Vitis HLS 2020.2 or later)
# or `vivado_hls -f hls.tcl` (Vivado HLS up to 2020.1); settings.tcl says which one it was made for.
# Output: toolkit_hls/solution1/syn/report/csynth.xml and the IP in toolkit_hls/solution1/impl/ip.

set here [file dirname [file normalize [info script]]]
source [file join $here settings.tcl]

set src [file join $here hls]
set fw [file join $src firmware]
# The hls4ml firmware includes "defines.h", "parameters.h", "weights/*.h" and "nnet_utils/*.h"
# relative to firmware/; the top includes toolkit_accel.h and its config header.
set cflags "-std=c++0x -I$fw -I$src"
if {$tk_hls_tool eq "vivado_hls"} {
    # Vivado HLS's ap_axiu cannot have zero-width TUSER/TID/TDEST (see toolkit_axis_top.h)
    append cflags " -DTK_AXIS_SIDEBAND=1"
}

open_project -reset $tk_hls_project
set_top $tk_top
add_files [file join $fw toolkit_accel.cpp] -cflags $cflags
add_files [file join $src toolkit_axis_top.cpp] -cflags $cflags

if {$tk_hls_tool eq "vitis_hls"} {
    open_solution -reset solution1 -flow_target vivado
} else {
    open_solution -reset solution1
}
set_part $tk_part
create_clock -period $tk_clock_period_ns -name default
set_clock_uncertainty 12.5%
config_compile -name_max_length 80
if {$tk_hls_tool eq "vivado_hls"} {
    # hls4ml's arrays can be wider than Vivado HLS's default partition limit
    config_array_partition -maximum_size 4096
}

csynth_design
export_design -format ip_catalog -vendor $tk_ip_vendor -library $tk_ip_library -version $tk_ip_version \
    -description "toolkit accelerator for $tk_model_label (AXI-Stream in/out, ap_ctrl_none)"
exit
