// Ax-BxP blocked multiplier (sign-magnitude): each B-bit magnitude is N = ceil(B/K)
// blocks of K bits and keeps L consecutive blocks starting at block `low`:
// static (DYN = 0) low = max(N - L, 0); dynamic (DYN = 1) low = max(top - L + 1, 0) with
// top = max(lead_block, L - 1). The kept L*K-bit windows are multiplied and the product
// is shifted by (low_a + low_w) * K: the sum of the L^2 kept block products.
// Ports/parameters as approx_exact.v.
`default_nettype none
module approx_bxp #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer K = 2,
    parameter integer L = 1,
    parameter integer DYN = 0
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  localparam integer P = AW + WW;
  localparam integer NA = (AW + K - 1) / K;  // blocks per operand
  localparam integer NW = (WW + K - 1) / K;
  localparam integer XA = (L * K < AW) ? L * K : AW;  // window widths
  localparam integer XW = (L * K < WW) ? L * K : WW;
  wire sa = (AS != 0) & a[AW-1];
  wire sw = (WS != 0) & w[WW-1];
  wire [AW-1:0] ma = sa ? -a : a;
  wire [WW-1:0] mw = sw ? -w : w;

  integer b, top_a, top_w, low_a, low_w;
  /* verilator lint_off UNUSED */  // bits above the window are zero by construction
  reg [AW-1:0] ta;
  reg [WW-1:0] tw;
  /* verilator lint_on UNUSED */
  reg [P-1:0] m;
  always @* begin
    if (DYN != 0) begin
      top_a = 0;
      for (b = 0; b < AW; b = b + 1) if (ma[b]) top_a = b / K;  // leading non-zero block
      top_w = 0;
      for (b = 0; b < WW; b = b + 1) if (mw[b]) top_w = b / K;
      if (top_a < L - 1) top_a = L - 1;
      if (top_w < L - 1) top_w = L - 1;
    end else begin
      top_a = NA - 1;
      top_w = NW - 1;
    end
    low_a = (top_a - L + 1 > 0) ? top_a - L + 1 : 0;
    low_w = (top_w - L + 1 > 0) ? top_w - L + 1 : 0;
    ta = ma >> (low_a * K);
    tw = mw >> (low_w * K);
    m = ({{(P-XA){1'b0}}, ta[XA-1:0]} * {{(P-XW){1'b0}}, tw[XW-1:0]}) << ((low_a + low_w) * K);
  end

  wire signed [P:0] pm = $signed({1'b0, m});
  assign p = (sa ^ sw) ? -pm : pm;
endmodule
`default_nettype wire
