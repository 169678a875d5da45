// Mitchell logarithmic multiplier (sign-magnitude). With a = 2^ka + xa, w = 2^kw + xw
// and s = xa 2^kw + xw 2^ka: p = 2^(ka+kw) + s if s < 2^(ka+kw), else 2 s; 0 if an
// operand is 0. T < 16 first clears every bit more than T places below the leading
// one (a T-bit log fraction). Ports/parameters as approx_exact.v.
`default_nettype none
module approx_mitchell #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer T = 16
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  localparam integer P = AW + WW;
  wire sa = (AS != 0) & a[AW-1];
  wire sw = (WS != 0) & w[WW-1];
  wire [AW-1:0] ma = sa ? -a : a;
  wire [WW-1:0] mw = sw ? -w : w;

  integer b, ka, kw;
  reg [AW-1:0] xa;
  reg [WW-1:0] xw;
  reg [P-1:0] s, base, m;
  always @* begin
    ka = 0;
    for (b = 1; b < AW; b = b + 1) if (ma[b]) ka = b;  // leading-one detectors
    kw = 0;
    for (b = 1; b < WW; b = b + 1) if (mw[b]) kw = b;
    xa = ma;  // fraction: bits below the leading one, cut to T bits
    for (b = 0; b < AW; b = b + 1) if (b == ka || b + T < ka) xa[b] = 1'b0;
    xw = mw;
    for (b = 0; b < WW; b = b + 1) if (b == kw || b + T < kw) xw[b] = 1'b0;
    s = ({{WW{1'b0}}, xa} << kw) + ({{AW{1'b0}}, xw} << ka);
    base = {{(P-1){1'b0}}, 1'b1} << (ka + kw);
    if (ma == 0 || mw == 0) m = {P{1'b0}};
    else if (s < base) m = base + s;
    else m = s << 1;
  end

  wire signed [P:0] pm = $signed({1'b0, m});
  assign p = (sa ^ sw) ? -pm : pm;
endmodule
`default_nettype wire
