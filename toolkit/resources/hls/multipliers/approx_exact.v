// Exact multiplier, the reference design: a native signed multiply (what HLS infers).
// Ports and parameters are shared by every approx_* module:
//   AW, WW: operand widths (2..8); AS, WS: 1 = two's complement, 0 = unsigned;
//   p: signed product, AW+WW+1 bits (holds the result of every design).
`default_nettype none
module approx_exact #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1
) (
    input  wire [AW-1:0]       a,
    input  wire [WW-1:0]       w,
    output wire signed [AW+WW:0] p
);
  wire signed [AW:0] sa = $signed({(AS != 0) & a[AW-1], a});
  wire signed [WW:0] sw = $signed({(WS != 0) & w[WW-1], w});
  /* verilator lint_off UNUSED */
  wire signed [AW+WW+1:0] full = sa * sw;  // the top bit is a copy of bit AW+WW
  /* verilator lint_on UNUSED */
  assign p = full[AW+WW:0];
endmodule
`default_nettype wire
