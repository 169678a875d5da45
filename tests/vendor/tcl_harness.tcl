# Test harness: source generated vendor scripts in plain tclsh with every vendor command recorded.
#   tclsh tcl_harness.tcl RECORD WORKDIR SCRIPT...
# Unknown commands (create_project, set_property, get_bd_pins, ...) go through `unknown`, which
# appends one JSON array per call to RECORD and returns a plausible value, so the scripts' own Tcl
# (procs, dicts, regexp, if/foreach, file ops) really runs and real syntax errors fail the run.

set tk_record [open [lindex $argv 0] w]
set tk_work [lindex $argv 1]
file mkdir $tk_work

proc tk_json {s} {
    return "\"[string map [list \\ \\\\ \" \\\" \n \\n \t \\t \r \\r] $s]\""
}

proc tk_log {words} {
    set parts {}
    foreach w $words { lappend parts [tk_json $w] }
    puts $::tk_record "\[[join $parts ,]\]"
    flush $::tk_record
}

# A well-formed .bit for the script's part ($tk_part; 128 KiB of configuration data, no design), as
# toolkit_overlay.bitstream.write_synthetic_bitstream writes it, so the synth step's check passes.
proc tk_synthetic_bitstream {path} {
    set part $::tk_part
    if {[string match -nocase xc7z* $part]} {
        set part [lindex [split [string range $part 2 end] -] 0]
    }
    set head [binary format H* 00090ff00ff00ff00ff0000001]
    foreach {key text} [list a "toolkit;UserID=0XFFFFFFFF;Version=synthetic" b $part c 2024/01/01 d 00:00:00] {
        append head $key [binary format S [expr {[string length $text] + 1}]] $text [binary format x]
    }
    set body [string repeat [binary format H2 ff] 32][binary format H* 000000bb11220044ffffffffaa995566]
    append body [string repeat [binary format x] [expr {131072 - [string length $body]}]]
    set fh [open $path w]
    fconfigure $fh -translation binary
    puts -nonewline $fh $head[binary format a1I e [string length $body]]$body
    close $fh
}

proc unknown {cmd args} {
    tk_log [concat [list $cmd] $args]
    switch -- $cmd {
        get_ipdefs {
            # two versions of the requested IP, so a script that picks the newest can be checked
            regexp {^[^:]+:[^:]+:([^:]+):} [lindex $args end] -> name
            return [list "xilinx.com:ip:${name}:1.0" "xilinx.com:ip:${name}:5.5"]
        }
        get_property {
            switch -- [lindex $args 0] {
                PROGRESS { return "100%" }
                DIRECTORY { return [file join $::tk_work project] }
                default { return "" }
            }
        }
        get_files {
            set pattern [lindex $args end]
            if {[string match *.hwh $pattern]} {
                set hwh [file join $::tk_work handoff [file tail $pattern]]
                file mkdir [file dirname $hwh]
                set fh [open $hwh w]; puts $fh "<hwh/>"; close $fh
                return [list $hwh]
            }
            return $pattern
        }
        write_bitstream {
            tk_synthetic_bitstream [lindex $args end]
            return ""
        }
        current_project - current_fileset - current_bd_design { return "<$cmd>" }
        get_board_parts {
            # $TK_HARNESS_NO_BOARDS: a Vivado without the board's files installed
            if {[info exists ::env(TK_HARNESS_NO_BOARDS)]} { return "" }
            return [lindex $args end]
        }
        get_bd_pins - get_bd_intf_pins - get_bd_cells - get_bd_addr_spaces - get_bd_addr_segs - get_runs {
            return [lindex $args end]
        }
        default { return "" }
    }
}

rename exit tk_real_exit
proc exit {args} { tk_log [concat [list exit] $args] }

foreach script [lrange $argv 2 end] {
    tk_log [list "#source" $script]
    source $script
}
close $tk_record
