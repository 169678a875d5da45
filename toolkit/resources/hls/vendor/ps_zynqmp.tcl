# Zynq UltraScale+ processing system (zynq_ultra_ps_e) for block_design.tcl: the board preset, the
# M_AXI_HPM0_FPD master for the DMA's registers (HPM1/LPD masters off, so no clock is left
# unconnected), one S_AXI_HPn_FPD slave (S_AXI_GP2..5 in the IP's terms) for the DMA's memory
# traffic at hp_bits, and pl_clk0 at the fabric clock. Returns the pin names the block design connects.
proc tk_create_ps {name hp_port hp_bits clock_mhz} {
    if {![regexp {^S_AXI_HP([0-3])_FPD$} $hp_port -> n]} {
        error "zynq-us+ HP port '$hp_port': expected one of S_AXI_HP0_FPD .. S_AXI_HP3_FPD"
    }
    if {$hp_bits != 32 && $hp_bits != 64 && $hp_bits != 128} {
        error "zynq-us+ HP ports are 32, 64 or 128 bits wide, not $hp_bits (board dma_data_bits)"
    }
    set gp [expr {$n + 2}]
    create_bd_cell -type ip -vlnv [tk_vlnv zynq_ultra_ps_e] $name
    apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} \
        [get_bd_cells $name]
    set_property -dict [list \
        CONFIG.PSU__USE__M_AXI_GP0 {1} \
        CONFIG.PSU__MAXIGP0__DATA_WIDTH {32} \
        CONFIG.PSU__USE__M_AXI_GP1 {0} \
        CONFIG.PSU__USE__M_AXI_GP2 {0} \
        CONFIG.PSU__USE__S_AXI_GP$gp {1} \
        CONFIG.PSU__SAXIGP${gp}__DATA_WIDTH $hp_bits \
        CONFIG.PSU__FPGA_PL0_ENABLE {1} \
        CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ $clock_mhz \
    ] [get_bd_cells $name]
    return [dict create \
        master M_AXI_HPM0_FPD slave $hp_port clock pl_clk0 resetn pl_resetn0 \
        aclks [list maxihpm0_fpd_aclk saxihp${n}_fpd_aclk]]
}
