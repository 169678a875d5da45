// Division of an exact window sum by the window size N, truncated toward zero, at G guard
// bits (emulator.layers.truncated_mean): q = trunc(s * 2^G / N), combinational.
// |s| * 2^G / N is computed as (|s| * R) >> RS with R = ceil(2^K / N), RS = K - G: for
// every |s| <= S_MAX the generator proves floor(|s| 2^G R / 2^K) = floor(|s| 2^G / N) from
// S_MAX 2^G (R N - 2^K) < 2^K (toolkit/rtlgen/pooling.py), one multiplier by a constant and
// no iteration, so an average costs no cycles. A power-of-two window is R = 1, RS = 0 (the
// guard bits then make the quotient the sum itself).
`default_nettype none
module tk_div_const #(
    parameter integer S_BITS = 12,
    parameter integer R_BITS = 8,
    parameter [63:0] R = 64'd1,
    parameter integer RS = 0,
    parameter integer OUT_BITS = 12
) (
    input  wire [S_BITS-1:0]   s,  // two's complement
    output wire [OUT_BITS-1:0] q   // two's complement
);
  localparam integer PB = S_BITS + R_BITS;
  localparam [R_BITS-1:0] RC = R[R_BITS-1:0];
  wire neg = s[S_BITS-1];
  wire [S_BITS-1:0] mag = neg ? (~s + 1'b1) : s;  // |s| (the most negative s reads as unsigned)
  wire [PB-1:0] prod = {{R_BITS{1'b0}}, mag} * {{S_BITS{1'b0}}, RC};
  wire [PB-1:0] quo = prod >> RS;
  /* verilator lint_off UNUSEDSIGNAL */  // the quotient fits OUT_BITS: higher bits are zero
  wire [PB-1:0] y = neg ? (~quo + 1'b1) : quo;
  /* verilator lint_on UNUSEDSIGNAL */
  generate
    if (PB >= OUT_BITS) begin : g_cut
      assign q = y[OUT_BITS-1:0];
    end else begin : g_ext
      assign q = {{(OUT_BITS - PB) {y[PB-1]}}, y};
    end
  endgenerate
endmodule
`default_nettype wire
