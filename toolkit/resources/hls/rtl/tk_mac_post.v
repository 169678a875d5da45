// One output lane of a MAC engine after accumulation (combinational):
//   y = ((acc - corr) << SHIFT) + bias,   corr = (c * V + d + 2^(CV_FRAC-1)) >>> CV_FRAC
// i.e. the control-variate correction (Correction.apply) applied to the product sum,
// then the alignment to the accumulator type and the bias (emulator.layers.mac).
// CV = 0 removes the correction. Every operand is a two's-complement integer.
`default_nettype none
module tk_mac_post #(
    parameter integer SUM_BITS = 16,
    parameter integer V_BITS = 16,
    parameter integer B_BITS = 16,
    parameter integer C_BITS = 16,
    parameter integer D_BITS = 16,
    parameter integer X_BITS = 40,
    parameter integer OUT_BITS = 16,
    parameter integer SHIFT = 0,
    parameter integer CV = 0,
    parameter integer CV_FRAC = 8
) (
    input  wire signed [SUM_BITS-1:0] acc,
    input  wire signed [V_BITS-1:0]   v,
    input  wire signed [B_BITS-1:0]   bias,
    input  wire signed [C_BITS-1:0]   c,
    input  wire signed [D_BITS-1:0]   d,
    output wire        [OUT_BITS-1:0] y
);
  // Signed operands are sign-extended into the X_BITS datapath (toolkit/rtlgen/widths.py makes
  // X_BITS hold every intermediate): the widening is intended.
  /* verilator lint_off WIDTH */
  wire signed [X_BITS-1:0] ax = acc;
  wire signed [X_BITS-1:0] bx = bias;
  /* verilator lint_on WIDTH */
  wire signed [X_BITS-1:0] corr;
  generate
    if (CV != 0) begin : g_cv
      /* verilator lint_off WIDTH */
      wire signed [X_BITS-1:0] vx = v;
      wire signed [X_BITS-1:0] cx = c;
      wire signed [X_BITS-1:0] dx = d;
      /* verilator lint_on WIDTH */
      wire signed [X_BITS-1:0] half = (CV_FRAC > 0) ? (1 <<< (CV_FRAC - 1)) : 0;
      wire signed [X_BITS-1:0] est = cx * vx + dx + half;
      assign corr = est >>> CV_FRAC;
    end else begin : g_plain
      assign corr = {X_BITS{1'b0}};
      wire unused_cv = &{1'b0, v, c, d};  // no correction: V, c, d are not used
    end
  endgenerate
  /* verilator lint_off UNUSED */  // bits above OUT_BITS are sign copies by construction
  wire signed [X_BITS-1:0] yx = ((ax - corr) <<< SHIFT) + bx;
  /* verilator lint_on UNUSED */
  assign y = yx[OUT_BITS-1:0];
endmodule
`default_nettype wire
