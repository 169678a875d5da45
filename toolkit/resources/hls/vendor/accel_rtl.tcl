# The accelerator of block_design.tcl when it is the toolkit's generated RTL: the very files the
# rtl step simulated under Verilator (rtl/: tk_accel.v, the leaf modules, the multipliers and the
# ROM contents, sha256 in rtl/rtl.json), added as sources and instantiated as a module reference.
# Copied as accel.tcl. tk_accel's ports: ap_clk, ap_rst_n (active low), s_axis_* (AXI-Stream slave),
# m_axis_* (master); X_INTERFACE attributes in tk_accel.v bind both streams to ap_clk / ap_rst_n.

# Project-level sources: every .v of rtl/ and its ROM files ($readmemh names them without a folder;
# synthesis finds them as the project's memory initialization files).
proc tk_accel_sources {here} {
    global tk_rtl_dir tk_rtl_top
    set dir [file join $here $tk_rtl_dir]
    set verilog [lsort [glob -nocomplain -directory $dir *.v]]
    if {[lsearch -exact [lmap f $verilog {file tail $f}] ${tk_rtl_top}.v] < 0} {
        error "no ${tk_rtl_top}.v in $dir: the vendor project is incomplete (rerun toolkit build --from synth)"
    }
    add_files -norecurse -fileset sources_1 $verilog
    set roms [lsort [glob -nocomplain -directory $dir *.hex]]
    if {[llength $roms] > 0} {
        add_files -norecurse -fileset sources_1 $roms
        set_property file_type {Memory Initialization Files} [get_files $roms]
    }
    update_compile_order -fileset sources_1
}

# The block-design cell (a module reference to tk_accel); returns its clock, reset and stream pins.
proc tk_create_accel {name} {
    global tk_rtl_top
    create_bd_cell -type module -reference $tk_rtl_top $name
    foreach intf {s_axis m_axis} {
        if {[llength [get_bd_intf_pins -quiet $name/$intf]] == 0} {
            error "module reference $tk_rtl_top has no AXI-Stream interface $intf (check its X_INTERFACE attributes)"
        }
    }
    return [dict create clock ap_clk resetn ap_rst_n slave s_axis master m_axis]
}
