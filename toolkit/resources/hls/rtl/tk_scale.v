// Element-wise per-channel scale stage (IR Scale: an inference-time BatchNormalization):
//   y = x * scale[ch] + shift[ch]   exact, nothing rounds (the next tk_requant rounds once),
// as emulator.layers.scale. The stream is channels last, so the channel of a code is a
// counter modulo C over the accepted codes (it wraps at every frame end, frames being a
// whole number of C-code rows). scale[] and shift[] are per-channel ROMs ($readmemh, C
// words of S_BITS / H_BITS two's complement). OUT_BITS holds every value any IN_BITS
// input can give (toolkit/rtlgen/widths.py), so the low OUT_BITS of the product-sum are
// the exact result. One register stage, valid/ready, full throughput: the same control
// as tk_requant.
`default_nettype none
module tk_scale #(
    parameter integer C = 4,
    parameter integer IN_BITS = 16,
    parameter integer IN_SIGNED = 1,
    parameter integer S_BITS = 24,
    parameter integer H_BITS = 40,
    parameter integer OUT_BITS = 42,
    parameter S_FILE = "",
    parameter H_FILE = ""
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire [IN_BITS-1:0]  in_data,
    input  wire                in_valid,
    output wire                in_ready,
    output reg  [OUT_BITS-1:0] out_data,
    output reg                 out_valid,
    input  wire                out_ready
);
  localparam integer CB = (C > 1) ? $clog2(C) : 1;
  // x (IN_BITS + 1 signed) * scale (S_BITS) fits IN_BITS + S_BITS bits; one more for the sum
  localparam integer PW = IN_BITS + S_BITS;
  localparam integer EW = ((PW > H_BITS) ? PW : H_BITS) + 1;

  /* verilator coverage_off */
  reg [S_BITS-1:0] srom[0:C-1];
  reg [H_BITS-1:0] hrom[0:C-1];
  /* verilator coverage_on */
  initial $readmemh(S_FILE, srom);
  initial $readmemh(H_FILE, hrom);

  reg [CB-1:0] ch;
  localparam [31:0] LAST = C - 1;
  wire [S_BITS-1:0] s = srom[ch];
  wire [H_BITS-1:0] h = hrom[ch];
  wire signed [EW-1:0] x = $signed({{(EW - IN_BITS) {(IN_SIGNED != 0) & in_data[IN_BITS-1]}}, in_data});
  wire signed [EW-1:0] sx = $signed({{(EW - S_BITS) {s[S_BITS-1]}}, s});
  wire signed [EW-1:0] hx = $signed({{(EW - H_BITS) {h[H_BITS-1]}}, h});
  /* verilator lint_off UNUSEDSIGNAL */  // bits above OUT_BITS are sign copies by construction
  wire signed [EW-1:0] y = x * sx + hx;
  /* verilator lint_on UNUSEDSIGNAL */

  assign in_ready = !out_valid || out_ready;
  always @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data  <= {OUT_BITS{1'b0}};
      ch <= {CB{1'b0}};
    end else if (in_ready) begin
      out_valid <= in_valid;
      if (in_valid) begin
        out_data <= y[OUT_BITS-1:0];
        ch <= (ch == LAST[CB-1:0]) ? {CB{1'b0}} : ch + 1'b1;
      end
    end
  end
endmodule
`default_nettype wire
