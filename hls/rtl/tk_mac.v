// MAC engine for one Dense / Conv1D / Conv2D layer (channels last, dilation 1).
//
// Input: a stream of activation codes in raster order (h, w, c), one per beat, written
// into a double-buffered frame buffer (two banks of IN_H*IN_W*IN_C codes) so the next
// frame loads while this one computes. Compute: for each output position (oh, ow), for
// each group of LANES output channels, for k over the kernel window in im2col order
// (kh, kw, c), one activation is read (code 0 in the zero padding, which still passes
// through the multipliers) and LANES weights are read from a ROM ($readmemh); LANES
// product units (instantiated outside, so any multiplier design plugs in) multiply, and
// LANES accumulators sum exactly. The activation sum V of the window is accumulated
// alongside for the control-variate correction. A finished group goes through
// tk_mac_post (correction, alignment shift, bias) into an output register bank and is
// streamed out one code per beat while the next group computes.
// Dense is IN_H = IN_W = 1, K_H = K_W = 1, IN_C = fan-in.
//
// Cycles per frame: OUT_H*OUT_W*G*FAN issue cycles (G = ceil(OUT_C/LANES)) + 1 when
// FAN >= LANES and the consumer takes one code per cycle; a group whose LANES results
// take longer to drain than FAN holds the pipeline (toolkit/rtlgen/cycles.py models both).
`default_nettype none
module tk_mac #(
    parameter integer IN_H = 1,
    parameter integer IN_W = 1,
    parameter integer IN_C = 4,
    parameter integer OUT_H = 1,
    parameter integer OUT_W = 1,
    parameter integer OUT_C = 4,
    parameter integer K_H = 1,
    parameter integer K_W = 1,
    parameter integer S_H = 1,
    parameter integer S_W = 1,
    parameter integer P_T = 0,
    parameter integer P_L = 0,
    parameter integer A_BITS = 4,
    parameter integer W_BITS = 4,
    parameter integer P_BITS = 9,
    parameter integer A_SIGNED = 0,
    parameter integer SUM_BITS = 16,
    parameter integer V_BITS = 16,
    parameter integer B_BITS = 16,
    parameter integer C_BITS = 16,
    parameter integer D_BITS = 16,
    parameter integer X_BITS = 40,
    parameter integer OUT_BITS = 16,
    parameter integer SHIFT = 0,
    parameter integer LANES = 1,
    parameter integer CV = 0,
    parameter integer CV_FRAC = 8,
    parameter W_FILE = "",
    parameter B_FILE = "",
    parameter C_FILE = "",
    parameter D_FILE = ""
) (
    input  wire                      clk,
    input  wire                      rst_n,
    input  wire [A_BITS-1:0]         in_data,
    input  wire                      in_valid,
    output wire                      in_ready,
    output wire [OUT_BITS-1:0]       out_data,
    output wire                      out_valid,
    input  wire                      out_ready,
    // the LANES product units: mul_p[j] = M(mul_a, mul_w[j])
    output wire [A_BITS-1:0]         mul_a,
    output wire [LANES*W_BITS-1:0]   mul_w,
    input  wire [LANES*P_BITS-1:0]   mul_p
);
  localparam integer FAN = K_H * K_W * IN_C;
  localparam integer G = (OUT_C + LANES - 1) / LANES;
  localparam integer N_IN = IN_H * IN_W * IN_C;
  localparam integer LAST_LANES = OUT_C - (G - 1) * LANES;
  localparam integer MB = $clog2(2 * N_IN + 1);
  localparam integer LB = $clog2(LANES + 1);

  // ---- frame buffer: two banks, loader writes bank wb, compute reads bank rb ----------
  /* verilator coverage_off */  // memories: activity is counted on their ports, not per bit
  reg [A_BITS-1:0] mem[0:2*N_IN-1];
  /* verilator coverage_on */
  reg [MB-1:0] waddr;
  reg wb, rb, busy;
  reg [1:0] full;
  assign in_ready = !full[wb];
  wire in_fire = in_valid && in_ready;

  // ---- weights and per-channel constants ----------------------------------------------
  /* verilator coverage_off */
  reg [LANES*W_BITS-1:0] wrom[0:G*FAN-1];
  reg [LANES*B_BITS-1:0] brom[0:G-1];
  /* verilator coverage_on */
  initial $readmemh(W_FILE, wrom);
  initial $readmemh(B_FILE, brom);

  // ---- compute counters (stage 0) ------------------------------------------------------
  reg [$clog2(OUT_H+1)-1:0] oh;
  reg [$clog2(OUT_W+1)-1:0] ow;
  reg [$clog2(G+1)-1:0] g;
  reg [$clog2(K_H+1)-1:0] kh;
  reg [$clog2(K_W+1)-1:0] kw;
  reg [$clog2(IN_C+1)-1:0] c;
  integer ohi, owi, gi, khi, kwi, ci, ih, iw, raddr, widx;  // signed 32-bit arithmetic
  reg inb, last_issue, k_first, k_last;
  always @* begin
    ohi = {1'b0, oh};
    owi = {1'b0, ow};
    gi = {1'b0, g};
    khi = {1'b0, kh};
    kwi = {1'b0, kw};
    ci = {1'b0, c};
    ih = ohi * S_H + khi - P_T;
    iw = owi * S_W + kwi - P_L;
    inb = (ih >= 0) && (ih < IN_H) && (iw >= 0) && (iw < IN_W);
    raddr = inb ? (rb ? N_IN : 0) + (ih * IN_W + iw) * IN_C + ci : 0;
    widx = gi * FAN + (khi * K_W + kwi) * IN_C + ci;
    k_first = (kh == 0) && (kw == 0) && (c == 0);
    k_last = (kh == K_H - 1) && (kw == K_W - 1) && (c == IN_C - 1);
    last_issue = k_last && (g == G - 1) && (ow == OUT_W - 1) && (oh == OUT_H - 1);
  end

  // ---- pipeline registers ----------------------------------------------------------------
  reg v1, first1, last1, inb1;
  reg [A_BITS-1:0] mq;
  reg [LANES*W_BITS-1:0] wq;
  reg [$clog2(G+1)-1:0] g1, g2;
  reg fin;
  reg signed [V_BITS-1:0] vs;
  reg [LANES*OUT_BITS-1:0] res;
  reg [LB-1:0] res_left, ridx;

  assign mul_a = inb1 ? mq : {A_BITS{1'b0}};
  assign mul_w = wq;
  wire signed [V_BITS-1:0] a_ext = $signed({{(V_BITS - A_BITS) {(A_SIGNED != 0) & mul_a[A_BITS-1]}}, mul_a});

  assign out_valid = res_left != 0;
  assign out_data = res[ridx*OUT_BITS+:OUT_BITS];
  wire out_fire = out_valid && out_ready;
  wire xfer = fin && (res_left == 0 || (res_left == 1 && out_ready));
  wire en = !fin || xfer;
  wire [LB-1:0] n_lanes = (g2 == G - 1) ? LAST_LANES[LB-1:0] : LANES[LB-1:0];

  // loader and bank bookkeeping
  always @(posedge clk) begin
    if (!rst_n) begin
      waddr <= 0;
      wb <= 1'b0;
      rb <= 1'b0;
      full <= 2'b00;
      busy <= 1'b0;
    end else begin
      if (in_fire) begin
        mem[(wb ? N_IN : 0)+waddr] <= in_data;
        if (waddr == N_IN - 1) begin
          waddr <= 0;
          full[wb] <= 1'b1;
          wb <= ~wb;
        end else waddr <= waddr + 1'b1;
      end
      if (!busy && full[rb]) busy <= 1'b1;
      if (busy && en && last_issue) begin
        busy <= 1'b0;
        full[rb] <= 1'b0;
        rb <= ~rb;
      end
    end
  end

  // stage 0: issue one window element, read the frame buffer and the weight ROM
  always @(posedge clk) begin
    if (!rst_n) begin
      {oh, ow, g, kh, kw, c} <= 0;
      v1 <= 1'b0;
    end else if (en) begin
      v1 <= busy;
      if (busy) begin
        mq <= mem[raddr];
        wq <= wrom[widx];
        inb1 <= inb;
        first1 <= k_first;
        last1 <= k_last;
        g1 <= g;
        if (c != IN_C - 1) c <= c + 1;
        else begin
          c <= 0;
          if (kw != K_W - 1) kw <= kw + 1;
          else begin
            kw <= 0;
            if (kh != K_H - 1) kh <= kh + 1;
            else begin
              kh <= 0;
              if (g != G - 1) g <= g + 1;
              else begin
                g <= 0;
                if (ow != OUT_W - 1) ow <= ow + 1;
                else begin
                  ow <= 0;
                  oh <= (oh != OUT_H - 1) ? oh + 1 : 0;
                end
              end
            end
          end
        end
      end
    end
  end

  // stage 1: multiply (combinational product units) and accumulate; see g_lane below
  always @(posedge clk) begin
    if (!rst_n) fin <= 1'b0;
    else if (en) begin
      fin <= v1 && last1;
      if (v1) begin
        vs <= (first1 ? {V_BITS{1'b0}} : vs) + a_ext;
        g2 <= g1;
      end
    end
  end

  // stage 2: correction, alignment, bias -> output register bank, streamed out
  wire [LANES*B_BITS-1:0] bword = brom[g2];
  wire [LANES*C_BITS-1:0] cword;
  wire [LANES*D_BITS-1:0] dword;
  generate
    if (CV != 0) begin : g_cvrom
      /* verilator coverage_off */
      reg [LANES*C_BITS-1:0] crom[0:G-1];
      reg [LANES*D_BITS-1:0] drom[0:G-1];
      /* verilator coverage_on */
      initial $readmemh(C_FILE, crom);
      initial $readmemh(D_FILE, drom);
      assign cword = crom[g2];
      assign dword = drom[g2];
    end else begin : g_nocv
      assign cword = {LANES * C_BITS{1'b0}};
      assign dword = {LANES * D_BITS{1'b0}};
    end
  endgenerate
  wire [LANES*OUT_BITS-1:0] post;
  genvar j;
  generate
    for (j = 0; j < LANES; j = j + 1) begin : g_lane
      wire signed [P_BITS-1:0] p = mul_p[j*P_BITS+:P_BITS];
      wire signed [SUM_BITS-1:0] pe = p;
      reg signed [SUM_BITS-1:0] acc;
      always @(posedge clk) if (en && v1) acc <= (first1 ? {SUM_BITS{1'b0}} : acc) + pe;
      tk_mac_post #(
          .SUM_BITS(SUM_BITS), .V_BITS(V_BITS), .B_BITS(B_BITS), .C_BITS(C_BITS), .D_BITS(D_BITS),
          .X_BITS(X_BITS), .OUT_BITS(OUT_BITS), .SHIFT(SHIFT), .CV(CV), .CV_FRAC(CV_FRAC)
      ) u_post (
          .acc(acc), .v(vs), .bias(bword[j*B_BITS+:B_BITS]), .c(cword[j*C_BITS+:C_BITS]),
          .d(dword[j*D_BITS+:D_BITS]), .y(post[j*OUT_BITS+:OUT_BITS])
      );
    end
  endgenerate
  always @(posedge clk) begin
    if (!rst_n) begin
      res_left <= 0;
      ridx <= 0;
    end else if (xfer) begin
      res <= post;
      res_left <= n_lanes;
      ridx <= 0;
    end else if (out_fire) begin
      res_left <= res_left - 1'b1;
      ridx <= ridx + 1'b1;
    end
  end
endmodule
`default_nettype wire
