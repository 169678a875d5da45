# Zynq-7000 processing system (processing_system7) for block_design.tcl: the board preset, the
# M_AXI_GP0 master for the DMA's registers, one S_AXI_HPn slave for the DMA's memory traffic at
# hp_bits, and FCLK_CLK0 at the fabric clock. Returns the pin names the block design connects.
proc tk_create_ps {name hp_port hp_bits clock_mhz} {
    if {![regexp {^S_AXI_HP([0-3])$} $hp_port -> n]} {
        error "zynq-7000 HP port '$hp_port': expected one of S_AXI_HP0 .. S_AXI_HP3"
    }
    if {$hp_bits != 32 && $hp_bits != 64} {
        error "zynq-7000 HP ports are 32 or 64 bits wide, not $hp_bits (board dma_data_bits)"
    }
    create_bd_cell -type ip -vlnv [tk_vlnv processing_system7] $name
    apply_bd_automation -rule xilinx.com:bd_rule:processing_system7 \
        -config {make_external "FIXED_IO, DDR" apply_board_preset "1" Master "Disable" Slave "Disable"} \
        [get_bd_cells $name]
    set_property -dict [list \
        CONFIG.PCW_USE_M_AXI_GP0 {1} \
        CONFIG.PCW_USE_S_AXI_HP$n {1} \
        CONFIG.PCW_S_AXI_HP${n}_DATA_WIDTH $hp_bits \
        CONFIG.PCW_EN_CLK0_PORT {1} \
        CONFIG.PCW_EN_RST0_PORT {1} \
        CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ $clock_mhz \
    ] [get_bd_cells $name]
    return [dict create \
        master M_AXI_GP0 slave $hp_port clock FCLK_CLK0 resetn FCLK_RESET0_N \
        aclks [list M_AXI_GP0_ACLK S_AXI_HP${n}_ACLK]]
}
