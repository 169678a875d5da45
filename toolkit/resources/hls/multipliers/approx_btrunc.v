// Truncated Baugh-Wooley multiplier (no sign-magnitude shell): the positions i + j < K of
// the two's-complement partial-product array of the codes are dropped. A kept position
// with exactly one sign bit among a[i], w[j] (AS/WS) has negative weight and enters as
// ~(a[i] & w[j]); the constants -2^(i+j) of these kept negative bits are merged into the
// correction B (mod 2^(AW+WW+1)), which has no bit below column K. So 0 * w = a * 0 = 0.
// COMP = 1 adds C = floor((S + 2) / 4), S = sum_{i+j<K} sigma_ij 2^(i+j) (signed weight
// of the dropped positions), when a != 0 and w != 0. Ports/parameters as approx_exact.v.
`default_nettype none
module approx_btrunc #(
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
  localparam integer N = AW + WW + 1;

  // sum of sigma_ij 2^(i+j) over the kept (KEPT = 1) or dropped (KEPT = 0) positions;
  // NEG_ONLY = 1: the sum of 2^(i+j) over the negative ones only
  function integer weight(input integer kept, input integer neg_only);
    integer i, j, s;
    reg neg;
    begin
      s = 0;
      for (j = 0; j < WW; j = j + 1)
        for (i = 0; i < AW; i = i + 1) begin
          neg = ((AS != 0) && i == AW - 1) != ((WS != 0) && j == WW - 1);
          if ((i + j >= K) == (kept != 0)) begin
            if (neg) s = s + ((neg_only != 0) ? (1 << (i + j)) : -(1 << (i + j)));
            else if (neg_only == 0) s = s + (1 << (i + j));
          end
        end
      weight = s;
    end
  endfunction
  // floor((x + 2) / 4) for any sign of x
  function integer round_quarter(input integer x);
    begin
      round_quarter = (x + 2 >= 0) ? (x + 2) / 4 : -((-(x + 2) + 3) / 4);
    end
  endfunction

  localparam integer BI = -weight(1, 1);
  localparam integer CI = (COMP != 0) ? round_quarter(weight(0, 0)) : 0;
  localparam [N-1:0] B = BI[N-1:0];
  localparam [N-1:0] C = CI[N-1:0];

  reg [N-1:0] s, row;
  integer i, j;
  always @* begin
    // the gated compensation joins the correction constant (no extra adder)
    s = (CI != 0 && a != {AW{1'b0}} && w != {WW{1'b0}}) ? B + C : B;
    for (j = 0; j < WW; j = j + 1) begin
      row = {N{1'b0}};
      for (i = 0; i < AW; i = i + 1)
        if (i + j >= K)
          row[i+j] = (((AS != 0) && i == AW - 1) != ((WS != 0) && j == WW - 1)) ? ~(a[i] & w[j])
                                                                               : (a[i] & w[j]);
      s = s + row;
    end
  end

  assign p = $signed(s);
endmodule
`default_nettype wire
