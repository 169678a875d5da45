// Truncated multiplier (sign-magnitude): magnitude partial-product bits a_i w_j with
// i + j < K are dropped. COMP = 1 adds C = (S + 2) / 4, S = sum_{i+j<K} 2^(i+j) (the
// rounded expected value of the dropped bits under uniform operands) when both
// magnitudes are non-zero. Ports/parameters as approx_exact.v.
`default_nettype none
module approx_trunc #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer K = 2,
    parameter integer COMP = 0
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  function integer comp_const(input integer unused);
    integer i, j, s;
    begin
      s = unused * 0;
      for (j = 0; j < WW; j = j + 1)
        for (i = 0; i < AW; i = i + 1)
          if (i + j < K) s = s + (1 << (i + j));
      comp_const = (s + 2) / 4;
    end
  endfunction
  localparam integer C = (COMP != 0) ? comp_const(0) : 0;

  // sign-magnitude front end: an AW-bit magnitude holds |-2^(AW-1)|
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
        if (i + j >= K) row[i+j] = ma[i] & mw[j];
      m = m + row;
    end
    if (C != 0 && ma != 0 && mw != 0) m = m + C[AW+WW-1:0];
  end

  wire signed [AW+WW:0] pm = $signed({1'b0, m});
  assign p = (sa ^ sw) ? -pm : pm;
endmodule
`default_nettype wire
