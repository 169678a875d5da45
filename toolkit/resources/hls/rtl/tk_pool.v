// Pooling engine (IR MaxPool, OP = 0, and AvgPool, OP = 1; valid padding, 1-D or 2-D, any
// pool and stride), channels last. Input codes stream in raster order (h, w, c) into
// tk_line_buffer (a double-buffered whole frame, LINE_DEPTH = 0, or a line buffer of
// LINE_DEPTH codes); compute walks (oh, ow, c) and, per output, the P_H*P_W window
// elements, keeping the running maximum (max) or the exact sum in ACC_BITS (avg). One
// output code per window: the maximum, or tk_div_const's trunc(sum * 2^G / (P_H*P_W))
// (emulator.layers.maxpool / avgpool).
// Cycles per frame: OUT_H*OUT_W*C*P_H*P_W issue cycles when the input keeps up.
`default_nettype none
module tk_pool #(
    parameter integer IN_H = 1,
    parameter integer IN_W = 4,
    parameter integer C = 1,
    parameter integer OUT_H = 1,
    parameter integer OUT_W = 2,
    parameter integer P_H = 1,
    parameter integer P_W = 2,
    parameter integer S_H = 1,
    parameter integer S_W = 2,
    parameter integer BITS = 4,
    parameter integer SIGNED = 0,
    parameter integer LINE_DEPTH = 0,
    parameter integer OP = 0,
    parameter integer ACC_BITS = BITS + 1,  // the running value (two's complement)
    parameter integer OUT_BITS = BITS,
    parameter integer R_BITS = 1,  // avg: the reciprocal of tk_div_const
    parameter [63:0] R = 64'd1,
    parameter integer RS = 0
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire [BITS-1:0] in_data,
    input  wire            in_valid,
    output wire            in_ready,
    output reg  [OUT_BITS-1:0] out_data,
    output reg             out_valid,
    input  wire            out_ready
);
  localparam integer N_IN = IN_H * IN_W * C;
  localparam integer IB = (N_IN > 1) ? $clog2(N_IN) : 1;

  localparam integer OHW = $clog2(OUT_H + 1), OWW = $clog2(OUT_W + 1), CW = $clog2(C + 1);
  localparam integer PHW = $clog2(P_H + 1), PWW = $clog2(P_W + 1);
  reg [OHW-1:0] oh;
  reg [OWW-1:0] ow;
  reg [CW-1:0] c;
  reg [PHW-1:0] ph;
  reg [PWW-1:0] pw;
  // index arithmetic in 32-bit integers (the counters zero-extended); only the low IB bits
  // of raddr and keep are addresses
  integer ohi, owi, ci, phi, pwi;
  /* verilator lint_off UNUSEDSIGNAL */
  integer raddr, keep;
  /* verilator lint_on UNUSEDSIGNAL */
  reg w_first, w_last, last_issue;
  always @* begin
    ohi = 0;
    owi = 0;
    ci = 0;
    phi = 0;
    pwi = 0;
    ohi[OHW-1:0] = oh;
    owi[OWW-1:0] = ow;
    ci[CW-1:0] = c;
    phi[PHW-1:0] = ph;
    pwi[PWW-1:0] = pw;
    raddr = ((ohi * S_H + phi) * IN_W + owi * S_W + pwi) * C + ci;
    // lowest element this and every later window reads (no padding: rows only move on)
    keep = (ohi * S_H * IN_W + owi * S_W) * C;
    w_first = (phi == 0) && (pwi == 0);
    w_last = (phi == P_H - 1) && (pwi == P_W - 1);
    last_issue = w_last && (ci == C - 1) && (owi == OUT_W - 1) && (ohi == OUT_H - 1);
  end

  wire go;  // the current window element is in the buffer
  wire [BITS-1:0] q;  // the element issued in the previous cycle
  reg v1, first1, last1, fin;
  reg signed [ACC_BITS-1:0] m;
  wire signed [ACC_BITS-1:0] qx = $signed({{(ACC_BITS - BITS) {(SIGNED != 0) & q[BITS-1]}}, q});
  wire signed [ACC_BITS-1:0] folded = (OP != 0) ? m + qx : ((qx > m) ? qx : m);
  wire [OUT_BITS-1:0] result;
  generate
    if (OP != 0) begin : g_avg
      tk_div_const #(
          .S_BITS(ACC_BITS), .R_BITS(R_BITS), .R(R), .RS(RS), .OUT_BITS(OUT_BITS)
      ) u_div (.s(m), .q(result));
    end else begin : g_max
      assign result = m[OUT_BITS-1:0];  // the maximum is one of the codes: it fits BITS
      /* verilator lint_off UNUSEDSIGNAL */
      wire [ACC_BITS-1:0] unused_m = m;
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
  wire en = !fin || !out_valid || out_ready;

  wire frame_done = en && go && last_issue;
  tk_line_buffer #(
      .BITS(BITS), .N_IN(N_IN), .DEPTH(LINE_DEPTH)
  ) u_buf (
      .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
      .rd_idx(raddr[IB-1:0]), .keep_from(keep[IB-1:0]), .rd_ok(go), .rd_en(en && go),
      .rd_data(q), .frame_done(frame_done)
  );

  always @(posedge clk) begin
    if (!rst_n) begin
      {oh, ow, c, ph, pw} <= 0;
      v1 <= 1'b0;
      fin <= 1'b0;
      out_valid <= 1'b0;
    end else begin
      if (en) begin
        v1 <= go;
        if (go) begin
          first1 <= w_first;
          last1 <= w_last;
          if (pwi != P_W - 1) pw <= pw + 1'b1;
          else begin
            pw <= 0;
            if (phi != P_H - 1) ph <= ph + 1'b1;
            else begin
              ph <= 0;
              if (ci != C - 1) c <= c + 1'b1;
              else begin
                c <= 0;
                if (owi != OUT_W - 1) ow <= ow + 1'b1;
                else begin
                  ow <= 0;
                  oh <= (ohi != OUT_H - 1) ? oh + 1'b1 : {OHW{1'b0}};
                end
              end
            end
          end
        end
        if (v1) m <= first1 ? qx : folded;
        fin <= v1 && last1;
      end
      // the output register: loaded from the finished maximum, emptied by the consumer
      if (en && fin) begin
        out_data  <= result;
        out_valid <= 1'b1;
      end else if (out_ready) out_valid <= 1'b0;
    end
  end
endmodule
`default_nettype wire
