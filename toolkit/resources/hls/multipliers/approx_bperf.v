// Perforated Baugh-Wooley multiplier (no sign-magnitude shell): the rows of the M low
// weight bits (ON_W = 1) or activation bits (ON_W = 0) of the two's-complement array of
// the codes are dropped, so e = -a (w mod 2^M) resp. -w (a mod 2^M). Kept negative-weight
// positions (exactly one sign bit among a[i], w[j]) enter as ~(a[i] & w[j]) and their
// constants -2^(i+j) are merged into B (mod 2^(AW+WW+1)). Ports/parameters as approx_exact.v.
`default_nettype none
module approx_bperf #(
    parameter integer AW = 4,
    parameter integer WW = 4,
    parameter integer AS = 0,
    parameter integer WS = 1,
    parameter integer M = 1,
    parameter integer ON_W = 1
) (
    input  wire [AW-1:0]         a,
    input  wire [WW-1:0]         w,
    output wire signed [AW+WW:0] p
);
  localparam integer N = AW + WW + 1;

  // sum of 2^(i+j) over the kept negative-weight positions
  function integer kept_neg(input integer unused);
    integer i, j, s;
    begin
      s = unused * 0;
      for (j = 0; j < WW; j = j + 1)
        for (i = 0; i < AW; i = i + 1)
          if ((((AS != 0) && i == AW - 1) != ((WS != 0) && j == WW - 1))
              && ((ON_W != 0) ? (j >= M) : (i >= M)))
            s = s + (1 << (i + j));
      kept_neg = s;
    end
  endfunction

  localparam integer BI = -kept_neg(0);
  localparam [N-1:0] B = BI[N-1:0];

  reg [N-1:0] s, row;
  integer i, j;
  always @* begin
    s = B;
    for (j = 0; j < WW; j = j + 1) begin
      row = {N{1'b0}};
      for (i = 0; i < AW; i = i + 1)
        if ((ON_W != 0) ? (j >= M) : (i >= M))
          row[i+j] = (((AS != 0) && i == AW - 1) != ((WS != 0) && j == WW - 1)) ? ~(a[i] & w[j])
                                                                               : (a[i] & w[j]);
      s = s + row;
    end
  end

  assign p = $signed(s);
endmodule
`default_nettype wire
