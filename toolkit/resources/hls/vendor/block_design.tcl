# Vivado: the board's block design around the accelerator (the HLS IP or the generated RTL, see
# accel.tcl), then synthesis, implementation, bitstream,
# reports and the .bit/.hwh pair PYNQ loads. Run in this folder after hls.tcl:
#   vivado -mode batch -nojournal -nolog -source block_design.tcl > logs/vivado.log
# (the hls4ml accelerator needs hls.tcl's IP first; the RTL accelerator needs only rtl/)
#
#   PS (board preset) --master--> SmartConnect --> axi_dma_0/S_AXI_LITE   (registers at tk_address_base)
#   axi_dma_0 M_AXI_MM2S/S2MM --> SmartConnect --> PS HP slave port          (DDR, tk_dma_bits wide)
#   axi_dma_0/M_AXIS_MM2S --> toolkit_accel_0/s_axis ; toolkit_accel_0/m_axis --> axi_dma_0/S_AXIS_S2MM
#   one clock (the PS's fabric clock at tk_clock_mhz) and one reset for the whole PL.
# Outputs: reports/{utilization,timing_summary,power}.rpt, output/<bd>.bit and output/<bd>.hwh.

set here [file dirname [file normalize [info script]]]
source [file join $here settings.tcl]

# The newest version of a Xilinx IP in this Vivado's catalog (so one script serves several releases).
proc tk_vlnv {name} {
    set defs [get_ipdefs -all "xilinx.com:ip:${name}:*"]
    if {[llength $defs] == 0} {
        error "IP xilinx.com:ip:$name is not in this Vivado's IP catalog"
    }
    return [lindex [lsort -dictionary $defs] end]
}

# Stop with the run's log when a launched run did not finish.
proc tk_check_run {run} {
    set progress [get_property PROGRESS [get_runs $run]]
    if {$progress ne "100%"} {
        set dir [get_property DIRECTORY [get_runs $run]]
        error "Vivado run $run stopped at $progress: see [file join $dir runme.log]"
    }
}

# The block design's hardware handoff (.hwh) that PYNQ reads beside the bitstream.
proc tk_find_hwh {bd} {
    set found [get_files -quiet -all "*/hw_handoff/${bd}.hwh"]
    if {[llength $found] == 0} {
        set dir [get_property DIRECTORY [current_project]]
        set found [glob -nocomplain \
            [file join $dir *.gen sources_1 bd $bd hw_handoff ${bd}.hwh] \
            [file join $dir *.srcs sources_1 bd $bd hw_handoff ${bd}.hwh]]
    }
    if {[llength $found] == 0} {
        error "no ${bd}.hwh was generated for block design $bd"
    }
    return [lindex $found 0]
}

source [file join $here ps.tcl]
source [file join $here accel.tcl]

set reports [file join $here reports]
set output [file join $here output]
file mkdir $reports $output

# ---- project ------------------------------------------------------------------------------------
create_project -force toolkit_vivado [file join $here vivado] -part $tk_part
if {[llength [get_board_parts -quiet $tk_board_part]] == 0} {
    error "board part $tk_board_part ($tk_board) is not installed in this Vivado: add its board files\
        (Vivado Store > Boards, or set_param board.repoPaths to a checkout of the vendor's board files)"
}
set_property board_part $tk_board_part [current_project]
tk_accel_sources $here
create_bd_design $tk_bd_name

# ---- processing system, clock, reset ----------------------------------------------------------
set ps [tk_create_ps ps $tk_hp_port $tk_dma_bits $tk_clock_mhz]
if {[dict get $ps clock] ne $tk_clock_pin} {
    error "board clock_pin $tk_clock_pin differs from the $tk_ps_ip fabric clock [dict get $ps clock]"
}
set clk [get_bd_pins ps/$tk_clock_pin]
create_bd_cell -type ip -vlnv [tk_vlnv proc_sys_reset] rst
connect_bd_net $clk [get_bd_pins rst/slowest_sync_clk]
connect_bd_net [get_bd_pins ps/[dict get $ps resetn]] [get_bd_pins rst/ext_reset_in]

# ---- AXI DMA (simple mode, no scatter-gather), stream widths = the accelerator's ---------------
create_bd_cell -type ip -vlnv [tk_vlnv axi_dma] axi_dma_0
set_property -dict [list \
    CONFIG.c_m_axi_mm2s_data_width.VALUE_SRC USER \
    CONFIG.c_m_axi_s2mm_data_width.VALUE_SRC USER \
    CONFIG.c_m_axis_mm2s_tdata_width.VALUE_SRC USER \
    CONFIG.c_s_axis_s2mm_tdata_width.VALUE_SRC USER \
] [get_bd_cells axi_dma_0]
set_property -dict [list \
    CONFIG.c_include_sg {0} \
    CONFIG.c_sg_include_stscntrl_strm {0} \
    CONFIG.c_sg_length_width {26} \
    CONFIG.c_m_axi_mm2s_data_width $tk_dma_bits \
    CONFIG.c_m_axis_mm2s_tdata_width $tk_in_bits \
    CONFIG.c_mm2s_burst_size {16} \
    CONFIG.c_m_axi_s2mm_data_width $tk_dma_bits \
    CONFIG.c_s_axis_s2mm_tdata_width $tk_out_bits \
    CONFIG.c_s2mm_burst_size {16} \
] [get_bd_cells axi_dma_0]

# ---- the accelerator ($tk_accelerator: the HLS IP from hls.tcl, or the generated RTL) -----------
set accel [tk_create_accel toolkit_accel_0]
connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXIS_MM2S] \
    [get_bd_intf_pins toolkit_accel_0/[dict get $accel slave]]
connect_bd_intf_net [get_bd_intf_pins toolkit_accel_0/[dict get $accel master]] \
    [get_bd_intf_pins axi_dma_0/S_AXIS_S2MM]

# ---- interconnects -----------------------------------------------------------------------------
create_bd_cell -type ip -vlnv [tk_vlnv smartconnect] ctrl_ic
set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {1}] [get_bd_cells ctrl_ic]
connect_bd_intf_net [get_bd_intf_pins ps/[dict get $ps master]] [get_bd_intf_pins ctrl_ic/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins ctrl_ic/M00_AXI] [get_bd_intf_pins axi_dma_0/S_AXI_LITE]

create_bd_cell -type ip -vlnv [tk_vlnv smartconnect] mem_ic
set_property -dict [list CONFIG.NUM_SI {2} CONFIG.NUM_MI {1}] [get_bd_cells mem_ic]
connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXI_MM2S] [get_bd_intf_pins mem_ic/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins axi_dma_0/M_AXI_S2MM] [get_bd_intf_pins mem_ic/S01_AXI]
connect_bd_intf_net [get_bd_intf_pins mem_ic/M00_AXI] [get_bd_intf_pins ps/[dict get $ps slave]]

# ---- clock and reset nets ----------------------------------------------------------------------
set clocked [list axi_dma_0/s_axi_lite_aclk axi_dma_0/m_axi_mm2s_aclk axi_dma_0/m_axi_s2mm_aclk \
    toolkit_accel_0/[dict get $accel clock] ctrl_ic/aclk mem_ic/aclk]
foreach pin [dict get $ps aclks] {
    lappend clocked ps/$pin
}
foreach pin $clocked {
    connect_bd_net $clk [get_bd_pins $pin]
}
foreach pin [list axi_dma_0/axi_resetn toolkit_accel_0/[dict get $accel resetn] ctrl_ic/aresetn mem_ic/aresetn] {
    connect_bd_net [get_bd_pins rst/peripheral_aresetn] [get_bd_pins $pin]
}

# ---- address map: the DMA's registers at the board's PL base, DDR for the DMA ------------------
assign_bd_address -offset $tk_address_base -range 64K \
    -target_address_space [get_bd_addr_spaces ps/Data] [get_bd_addr_segs axi_dma_0/S_AXI_LITE/Reg] -force
assign_bd_address
validate_bd_design
save_bd_design

# ---- HDL wrapper, synthesis, implementation ----------------------------------------------------
set bd_file [get_files ${tk_bd_name}.bd]
generate_target all $bd_file
make_wrapper -files $bd_file -top -import
set_property top ${tk_bd_name}_wrapper [current_fileset]
update_compile_order -fileset sources_1

launch_runs synth_1 -jobs $tk_jobs
wait_on_run synth_1
tk_check_run synth_1
launch_runs impl_1 -to_step write_bitstream -jobs $tk_jobs
wait_on_run impl_1
tk_check_run impl_1

# ---- reports and the PYNQ pair -----------------------------------------------------------------
open_run impl_1
report_utilization -file [file join $reports utilization.rpt]
report_timing_summary -file [file join $reports timing_summary.rpt]
report_power -file [file join $reports power.rpt]
write_bitstream -force [file join $output ${tk_bd_name}.bit]
file copy -force [tk_find_hwh $tk_bd_name] [file join $output ${tk_bd_name}.hwh]
puts "toolkit: wrote [file join $output ${tk_bd_name}.bit] and ${tk_bd_name}.hwh"
