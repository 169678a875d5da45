// The Verilog that Vitis HLS synthesised from hls.tcl (top `toolkit_axis_top`, AXI-Stream
// `s_axis`/`m_axis`, ap_ctrl_none) behind the ports of the toolkit's generated top `tk_accel`,
// so the same Verilator harness (hls/rtl/tk_sim.cpp) and the same device interface
// (toolkit/rtlgen/device.py) drive it. Wires only: every cycle, bit and handshake is HLS's.
//
// HLS's port list varies with the tool and the options (TKEEP/TSTRB present or not, the
// Vivado HLS side channels TUSER/TID/TDEST, an active-high ap_rst, an ap_ctrl_hs block
// protocol). toolkit/rtlgen/hls_verilog.py reads the top's ports and compiles this file with
// the matching defines; inputs HLS has are tied as the AXI DMA drives them (all bytes valid,
// side channels 0, ap_start held high so a block-level top restarts at once).
//   TK_HLS_RST_HIGH    the top has ap_rst (active high), not ap_rst_n
//   TK_HLS_AP_START    the top has ap_start (ap_ctrl_hs / ap_ctrl_chain)
//   TK_HLS_IN_KEEP     s_axis_TKEEP      TK_HLS_IN_STRB  s_axis_TSTRB
//   TK_HLS_IN_USER     s_axis_TUSER      TK_HLS_IN_ID    s_axis_TID      TK_HLS_IN_DEST  s_axis_TDEST
// Outputs HLS adds (TKEEP, TSTRB, side channels, ap_done/ap_idle/ap_ready) are left open, as
// the block design leaves them.
module tk_accel #(
    parameter IN_BITS = 64,
    parameter OUT_BITS = 64,
    parameter IN_USER_BITS = 1,
    parameter IN_ID_BITS = 1,
    parameter IN_DEST_BITS = 1
) (
    input  wire                ap_clk,
    input  wire                ap_rst_n,
    input  wire [IN_BITS-1:0]  s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    input  wire                s_axis_tlast,
    output wire [OUT_BITS-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready,
    output wire                m_axis_tlast
);
    toolkit_axis_top hls (
        .ap_clk(ap_clk),
`ifdef TK_HLS_RST_HIGH
        .ap_rst(~ap_rst_n),
`else
        .ap_rst_n(ap_rst_n),
`endif
`ifdef TK_HLS_AP_START
        .ap_start(1'b1),
`endif
        .s_axis_TDATA(s_axis_tdata),
        .s_axis_TVALID(s_axis_tvalid),
        .s_axis_TREADY(s_axis_tready),
`ifdef TK_HLS_IN_KEEP
        .s_axis_TKEEP({(IN_BITS / 8){1'b1}}),
`endif
`ifdef TK_HLS_IN_STRB
        .s_axis_TSTRB({(IN_BITS / 8){1'b1}}),
`endif
`ifdef TK_HLS_IN_USER
        .s_axis_TUSER({IN_USER_BITS{1'b0}}),
`endif
`ifdef TK_HLS_IN_ID
        .s_axis_TID({IN_ID_BITS{1'b0}}),
`endif
`ifdef TK_HLS_IN_DEST
        .s_axis_TDEST({IN_DEST_BITS{1'b0}}),
`endif
        .s_axis_TLAST(s_axis_tlast),
        .m_axis_TDATA(m_axis_tdata),
        .m_axis_TVALID(m_axis_tvalid),
        .m_axis_TREADY(m_axis_tready),
        .m_axis_TLAST(m_axis_tlast)
    );
endmodule
