// Broken-array multiplier (sign-magnitude): magnitude partial-product bit a_i w_j is kept
// iff j >= H (horizontal break: the H low weight rows are removed) and i + j >= V
// (vertical break: the columns right of V are removed). Ports/parameters as approx_exact.v.
`default_nettype none
module approx_bam #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer H = 1,
    parameter integer V = 3
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  wire sa = (AS != 0) & a[AW-1];
  wire sw = (WS != 0) & w[WW-1];
  wire [AW-1:0] ma = sa ? -a : a;
  wire [WW-1:0] mw = sw ? -w : w;

  reg [AW+WW-1:0] m, row;
  integer i, j;
  always @* begin
    m = {(AW+WW){1'b0}};
    for (j = 0; j < WW; j = j + 1) begin
      row = {(AW+WW){1'b0}};
      for (i = 0; i < AW; i = i + 1)
        if (j >= H && i + j >= V) row[i+j] = ma[i] & mw[j];
      m = m + row;
    end
  end

  wire signed [AW+WW:0] pm = $signed({1'b0, m});
  assign p = (sa ^ sw) ? -pm : pm;
endmodule
`default_nettype wire
