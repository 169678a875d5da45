// A hand-written stand-in for the Verilog Vitis HLS writes for hls.tcl's top (tests only):
// the ports of an AXI-Stream ap_ctrl_none top with ap_axiu<64,0,0,0> beats, in HLS's own
// (non-ANSI) style, computing the tiny layer of tests/vendor/test_hls_verilog.py exactly:
//   y0 = x0 + x1 + x2 + x3,   y1 = sum_i w1[i] * x_i   (w1 from a ROM file, as HLS writes them)
// x_i: the low 4 bits (unsigned) of byte lane i of one input beat; an input byte whose TKEEP
// bit is low reads as 0 (so an untied TKEEP shows). y_j: 9-bit codes sign-extended into 16-bit
// lanes 0 and 1 of one output beat, lanes 2-3 zero. One register stage with backpressure;
// TLAST passes through with its beat.
`timescale 1 ns / 1 ps

(* CORE_GENERATION_INFO="toolkit_axis_top_stand_in" *)

module toolkit_axis_top (
        ap_clk,
        ap_rst_n,
        s_axis_TDATA,
        s_axis_TVALID,
        s_axis_TREADY,
        s_axis_TKEEP,
        s_axis_TSTRB,
        s_axis_TLAST,
        m_axis_TDATA,
        m_axis_TVALID,
        m_axis_TREADY,
        m_axis_TKEEP,
        m_axis_TSTRB,
        m_axis_TLAST
);

input   ap_clk;
input   ap_rst_n;
input  [63:0] s_axis_TDATA;
input   s_axis_TVALID;
output   s_axis_TREADY;
input  [7:0] s_axis_TKEEP;
input  [7:0] s_axis_TSTRB;
input  [0:0] s_axis_TLAST;
output  [63:0] m_axis_TDATA;
output   m_axis_TVALID;
input   m_axis_TREADY;
output  [7:0] m_axis_TKEEP;
output  [7:0] m_axis_TSTRB;
output  [0:0] m_axis_TLAST;

reg out_valid;
reg [0:0] out_last;
reg signed [8:0] y0;
reg signed [8:0] y1;
wire signed [3:0] w1_0;
wire signed [3:0] w1_1;
wire signed [3:0] w1_2;
wire signed [3:0] w1_3;
wire signed [5:0] x0;
wire signed [5:0] x1;
wire signed [5:0] x2;
wire signed [5:0] x3;

toolkit_axis_top_w1_rom w1_rom_U (
    .q0(w1_0),
    .q1(w1_1),
    .q2(w1_2),
    .q3(w1_3)
);

assign x0 = {2'b00, s_axis_TKEEP[0] ? s_axis_TDATA[3:0] : 4'd0};
assign x1 = {2'b00, s_axis_TKEEP[1] ? s_axis_TDATA[11:8] : 4'd0};
assign x2 = {2'b00, s_axis_TKEEP[2] ? s_axis_TDATA[19:16] : 4'd0};
assign x3 = {2'b00, s_axis_TKEEP[3] ? s_axis_TDATA[27:24] : 4'd0};

assign s_axis_TREADY = ~out_valid | m_axis_TREADY;
assign m_axis_TVALID = out_valid;
assign m_axis_TLAST = out_last;
assign m_axis_TDATA = {32'd0, {{7{y1[8]}}, y1}, {{7{y0[8]}}, y0}};
assign m_axis_TKEEP = 8'hff;
assign m_axis_TSTRB = 8'hff;

always @ (posedge ap_clk) begin
    if (ap_rst_n == 1'b0) begin
        out_valid <= 1'b0;
        out_last <= 1'b0;
    end else if (s_axis_TREADY == 1'b1) begin
        out_valid <= s_axis_TVALID;
        if (s_axis_TVALID == 1'b1) begin
            out_last <= s_axis_TLAST;
            y0 <= x0 + x1 + x2 + x3;
            y1 <= w1_0 * x0 + w1_1 * x1 + w1_2 * x2 + w1_3 * x3;
        end
    end
end

endmodule
