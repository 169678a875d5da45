# The accelerator of block_design.tcl when it is the hls4ml design: the IP that hls.tcl exported
# (VLNV tk_ip_vendor:tk_ip_library:tk_top:tk_ip_version) from toolkit_hls/solution1/impl/ip.
# Copied as accel.tcl. Ports: ap_clk, ap_rst_n, s_axis (AXI-Stream slave), m_axis (master).

# Project-level sources: the HLS IP repository.
proc tk_accel_sources {here} {
    global tk_hls_project
    set ip_repo [file join $here $tk_hls_project solution1 impl ip]
    if {![file isdirectory $ip_repo]} {
        error "no HLS IP at $ip_repo: run hls.tcl first (./run.sh does)"
    }
    set_property ip_repo_paths [list $ip_repo] [current_project]
    update_ip_catalog
}

# The block-design cell; returns its clock, reset and stream pin names.
proc tk_create_accel {name} {
    global tk_ip_vendor tk_ip_library tk_top tk_ip_version
    create_bd_cell -type ip -vlnv ${tk_ip_vendor}:${tk_ip_library}:${tk_top}:${tk_ip_version} $name
    return [dict create clock ap_clk resetn ap_rst_n slave s_axis master m_axis]
}
