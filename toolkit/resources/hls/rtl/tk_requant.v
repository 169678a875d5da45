// Element-wise requantization stage (IR Quantize and ReLU): optional ReLU, shift by
// SHIFT = in.frac - out.frac with round-half-even (RND=1) or truncation toward -inf
// (RND=0), then saturation (SAT=0), symmetric saturation (SAT=1) or wrap (SAT=2).
// Exactly Precision.requantize. One register stage, valid/ready, full throughput.
`default_nettype none
module tk_requant #(
    parameter integer IN_BITS = 16,
    parameter integer IN_SIGNED = 1,
    parameter integer OUT_BITS = 4,
    parameter integer OUT_SIGNED = 0,
    parameter integer SHIFT = 0,
    parameter integer RND = 1,
    parameter integer SAT = 0,
    parameter integer RELU = 0
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
  localparam integer LSH = (SHIFT < 0) ? -SHIFT : 0;
  localparam integer EW = ((IN_BITS + LSH > OUT_BITS) ? IN_BITS + LSH : OUT_BITS) + 2;
  localparam integer RS = (SHIFT > 0) ? SHIFT : 1;  // a legal width when SHIFT <= 0

  wire signed [EW-1:0] x = $signed({{(EW - IN_BITS){(IN_SIGNED != 0) & in_data[IN_BITS-1]}}, in_data});
  wire signed [EW-1:0] xr = (RELU != 0 && x < 0) ? {EW{1'b0}} : x;
  wire signed [EW-1:0] y;
  generate
    if (SHIFT > 0) begin : g_right
      wire signed [EW-1:0] q = xr >>> SHIFT;
      wire [RS-1:0] rem = xr[RS-1:0];
      wire [RS-1:0] half = {1'b1, {(RS - 1) {1'b0}}};
      wire above;  // rem > half (spelled by bits: with SHIFT = 1 nothing is above the half)
      if (RS > 1) begin : g_above
        assign above = rem[RS-1] && (rem[RS-2:0] != {(RS - 1) {1'b0}});
      end else begin : g_half
        assign above = 1'b0;
      end
      wire up = (RND != 0) && (above || (rem == half && q[0]));
      assign y = q + {{(EW - 1) {1'b0}}, up};
    end else begin : g_left
      assign y = xr <<< LSH;
    end
  endgenerate

  // Saturation rails as EW-bit constants.
  localparam signed [EW-1:0] ONE = 1;
  localparam signed [EW-1:0] MAXC = (OUT_SIGNED != 0) ? (ONE <<< (OUT_BITS - 1)) - 1 : (ONE <<< OUT_BITS) - 1;
  localparam signed [EW-1:0] MINC = (OUT_SIGNED == 0) ? 0 :
      ((SAT == 1) ? -(ONE <<< (OUT_BITS - 1)) + 1 : -(ONE <<< (OUT_BITS - 1)));
  /* verilator lint_off UNUSEDSIGNAL */  // bits above OUT_BITS: the rails fit, wrap drops them
  wire signed [EW-1:0] ys = (SAT == 2) ? y : (y > MAXC) ? MAXC : (y < MINC) ? MINC : y;
  /* verilator lint_on UNUSEDSIGNAL */

  assign in_ready = !out_valid || out_ready;
  always @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data  <= {OUT_BITS{1'b0}};
    end else if (in_ready) begin
      out_valid <= in_valid;
      if (in_valid) out_data <= ys[OUT_BITS-1:0];
    end
  end
endmodule
`default_nettype wire
