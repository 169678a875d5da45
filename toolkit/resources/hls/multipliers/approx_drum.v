// DRUM-style multiplier (sign-magnitude): a magnitude x >= 2^K is replaced by the K-bit
// window starting at its leading one with the window's lowest bit forced to 1; the two
// windows are multiplied (a K x K multiplier) and the product shifted back.
// Ports/parameters as approx_exact.v.
`default_nettype none
module approx_drum #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer K = 3
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  localparam integer P = AW + WW;
  localparam integer KA = (K < AW) ? K : AW;  // window widths
  localparam integer KW = (K < WW) ? K : WW;
  wire sa = (AS != 0) & a[AW-1];
  wire sw = (WS != 0) & w[WW-1];
  wire [AW-1:0] ma = sa ? -a : a;
  wire [WW-1:0] mw = sw ? -w : w;

  integer b, la, lw, shift_a, shift_w;
  /* verilator lint_off UNUSED */  // bits above the window are zero by construction
  reg [AW-1:0] ta;
  reg [WW-1:0] tw;
  /* verilator lint_on UNUSED */
  reg [KA-1:0] wa;
  reg [KW-1:0] ww;
  reg [P-1:0] m;
  always @* begin
    la = 0;
    for (b = 1; b < AW; b = b + 1) if (ma[b]) la = b;
    lw = 0;
    for (b = 1; b < WW; b = b + 1) if (mw[b]) lw = b;
    shift_a = (la >= K) ? la - K + 1 : 0;
    shift_w = (lw >= K) ? lw - K + 1 : 0;
    ta = ma >> shift_a;
    tw = mw >> shift_w;
    wa = ta[KA-1:0];
    ww = tw[KW-1:0];
    if (la >= K) wa[0] = 1'b1;
    if (lw >= K) ww[0] = 1'b1;
    m = ({{(P-KA){1'b0}}, wa} * {{(P-KW){1'b0}}, ww}) << (shift_a + shift_w);
  end

  wire signed [P:0] pm = $signed({1'b0, m});
  assign p = (sa ^ sw) ? -pm : pm;
endmodule
`default_nettype wire
