// MAC engine for one Dense / Conv1D / Conv2D layer (channels last, dilation 1).
//
// Input: a stream of activation codes in raster order (h, w, c), one per beat, written
// into tk_line_buffer: a line buffer of LINE_DEPTH codes, or (LINE_DEPTH = 0) two banks of
// IN_H*IN_W*IN_C codes so the next frame loads while this one computes. An element is
// issued once the buffer holds it. Compute: for each output position (oh, ow), for
// each group of LANES output channels, for k over the kernel window in im2col order
// (kh, kw, c), one activation is read (code 0 in the zero padding, which still passes
// through the multipliers) and LANES weights are read from a ROM ($readmemh); LANES
// product units (instantiated outside, so any multiplier design plugs in) multiply, and
// LANES accumulators sum exactly. The activation sum V of the window is accumulated
// alongside for the control-variate correction. A finished group's exact sums (and its V)
// go into an output register bank and are streamed out one code per beat while the next
// group computes; one tk_mac_post (correction, alignment shift, bias) sits on that output,
// so the correction costs one c*V multiplier per layer, not one per lane, and it switches
// once per output code rather than on every accumulation cycle.
// Dense is IN_H = IN_W = 1, K_H = K_W = 1, IN_C = fan-in.
// Depthwise (DW = 1, IR DepthwiseConv): output channel c*M + m reads input channel c only, so
// the window is (kh, kw) of one channel (FAN = K_H*K_W) and a group is LANES of channel c's
// M filters (LANES <= M): the loop is (oh, ow, c, group of m, kh, kw), OUT_C = IN_C*M; V is
// then the sum of channel c's window, as the emulator's per-channel correction
// (emulator.layers._depthwise_sums) uses it.
//
// Cycles per frame: OUT_H*OUT_W*G*FAN issue cycles (G = ceil(OUT_C/LANES)) when the input
// keeps up, FAN >= LANES and the consumer takes one code per cycle; a group whose LANES
// results take longer to drain than FAN holds the pipeline (exact counts: the simulation;
// closed-form bounds: toolkit/rtlgen/cycles.py).
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
    parameter integer LINE_DEPTH = 0,
    parameter integer CV = 0,
    parameter integer CV_FRAC = 8,
    parameter integer DW = 0,
    parameter integer M = 1,  // depthwise: filters per input channel
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
  localparam integer WC = (DW != 0) ? 1 : IN_C;  // channels in one window
  localparam integer FAN = K_H * K_W * WC;
  localparam integer MC = (DW != 0) ? M : OUT_C;  // output channels a group's lanes come from
  localparam integer GM = (MC + LANES - 1) / LANES;  // groups per input channel (depthwise) or in all
  localparam integer CD = (DW != 0) ? IN_C : 1;
  localparam integer G = CD * GM;
  localparam integer N_IN = IN_H * IN_W * IN_C;
  localparam integer LAST_LANES = MC - (GM - 1) * LANES;
  localparam integer IB = (N_IN > 1) ? $clog2(N_IN) : 1;
  localparam integer LB = $clog2(LANES + 1);

  // ---- weights and per-channel constants ----------------------------------------------
  /* verilator coverage_off */
  reg [LANES*W_BITS-1:0] wrom[0:G*FAN-1];
  reg [LANES*B_BITS-1:0] brom[0:G-1];
  /* verilator coverage_on */
  initial $readmemh(W_FILE, wrom);
  initial $readmemh(B_FILE, brom);

  // ---- compute counters (stage 0) ------------------------------------------------------
  localparam integer OHW = $clog2(OUT_H + 1), OWW = $clog2(OUT_W + 1), GW = $clog2(G + 1);
  localparam integer KHW = $clog2(K_H + 1), KWW = $clog2(K_W + 1), CW = $clog2(WC + 1);
  localparam integer CDW = $clog2(CD + 1), GMW = $clog2(GM + 1);
  localparam integer GI = (G > 1) ? $clog2(G) : 1;  // ROM index bits
  reg [OHW-1:0] oh;
  reg [OWW-1:0] ow;
  reg [GW-1:0] g;  // the group: cd * GM + gm
  reg [CDW-1:0] cd;  // depthwise: the input channel of the group (0 otherwise)
  reg [GMW-1:0] gm;  // the group within the channel
  reg [KHW-1:0] kh;
  reg [KWW-1:0] kw;
  reg [CW-1:0] c;
  // index arithmetic in signed 32-bit integers (the counters zero-extended); only the low
  // bits of raddr, widx and keep are addresses
  integer ohi, owi, gi, khi, kwi, ci, cdi, gmi, ih, iw, r0, r0n, c0;
  /* verilator lint_off UNUSEDSIGNAL */
  integer raddr, widx, keep;
  /* verilator lint_on UNUSEDSIGNAL */
  reg inb, last_issue, k_first, k_last;
  always @* begin
    {ohi, owi, gi, khi, kwi, ci, cdi, gmi} = 0;
    cdi[CDW-1:0] = cd;
    gmi[GMW-1:0] = gm;
    ohi[OHW-1:0] = oh;
    owi[OWW-1:0] = ow;
    gi[GW-1:0] = g;
    khi[KHW-1:0] = kh;
    kwi[KWW-1:0] = kw;
    ci[CW-1:0] = c;
    ih = ohi * S_H + khi - P_T;
    iw = owi * S_W + kwi - P_L;
    inb = (ih >= 0) && (ih < IN_H) && (iw >= 0) && (iw < IN_W);
    raddr = inb ? (ih * IN_W + iw) * IN_C + ci + cdi : 0;  // one of ci, cdi is 0
    // lowest element this and every later window of the frame reads (see tk_line_buffer)
    r0 = (ohi * S_H - P_T < 0) ? 0 : ohi * S_H - P_T;
    r0n = ((ohi + 1) * S_H - P_T < 0) ? 0 : (ohi + 1) * S_H - P_T;
    c0 = (owi * S_W - P_L < 0) ? 0 : owi * S_W - P_L;
    keep = (ohi == OUT_H - 1 || r0n != r0) ? (r0 * IN_W + c0) * IN_C : r0 * IN_W * IN_C;
    widx = gi * FAN + (khi * K_W + kwi) * WC + ci;
    k_first = (khi == 0) && (kwi == 0) && (ci == 0);
    k_last = (khi == K_H - 1) && (kwi == K_W - 1) && (ci == WC - 1);
    last_issue = k_last && (gi == G - 1) && (owi == OUT_W - 1) && (ohi == OUT_H - 1);
  end

  wire [IB-1:0] rd_idx = raddr[IB-1:0];
  wire [IB-1:0] keep_from = keep[IB-1:0];
  wire go;  // the current window element can be issued (its code is in the buffer)
  wire [A_BITS-1:0] mq;  // the element issued in the previous cycle

  // ---- pipeline registers ----------------------------------------------------------------
  reg v1, first1, last1, inb1;
  reg [LANES*W_BITS-1:0] wq;
  reg [GI-1:0] g1, g2;
  reg ge1, ge2;  // the group is its channel's last (it may have fewer lanes)
  reg fin;
  reg signed [V_BITS-1:0] vs, vres;
  reg [LANES*SUM_BITS-1:0] res;  // the banked group's exact sums
  wire [LANES*SUM_BITS-1:0] sums;
  reg [LB-1:0] res_left, ridx;

  assign mul_a = inb1 ? mq : {A_BITS{1'b0}};
  assign mul_w = wq;
  wire signed [V_BITS-1:0] a_ext = $signed({{(V_BITS - A_BITS) {(A_SIGNED != 0) & mul_a[A_BITS-1]}}, mul_a});

  assign out_valid = res_left != 0;
  wire out_fire = out_valid && out_ready;
  wire xfer = fin && (res_left == 0 || (res_left == 1 && out_ready));
  wire en = !fin || xfer;
  wire [LB-1:0] n_lanes = ge2 ? LAST_LANES[LB-1:0] : LANES[LB-1:0];
  wire frame_done = en && go && last_issue;

  // ---- input buffer: a whole frame, double-buffered (LINE_DEPTH = 0), or a line buffer --
  tk_line_buffer #(
      .BITS(A_BITS), .N_IN(N_IN), .DEPTH(LINE_DEPTH)
  ) u_buf (
      .clk(clk), .rst_n(rst_n), .in_data(in_data), .in_valid(in_valid), .in_ready(in_ready),
      .rd_idx(rd_idx), .keep_from(keep_from), .rd_ok(go), .rd_en(en && go),
      .rd_data(mq), .frame_done(frame_done)
  );

  // stage 0: issue one window element, read the input buffer (u_buf) and the weight ROM
  always @(posedge clk) begin
    if (!rst_n) begin
      {oh, ow, g, cd, gm, kh, kw, c} <= 0;
      v1 <= 1'b0;
    end else if (en) begin
      v1 <= go;
      if (go) begin
        wq <= wrom[widx];
        inb1 <= inb;
        first1 <= k_first;
        last1 <= k_last;
        g1 <= g[GI-1:0];
        ge1 <= gmi == GM - 1;
        if (ci != WC - 1) c <= c + 1'b1;
        else begin
          c <= 0;
          if (kwi != K_W - 1) kw <= kw + 1'b1;
          else begin
            kw <= 0;
            if (khi != K_H - 1) kh <= kh + 1'b1;
            else begin
              kh <= 0;
              if (gmi != GM - 1) gm <= gm + 1'b1;
              else begin
                gm <= 0;
                cd <= (cdi != CD - 1) ? cd + 1'b1 : {CDW{1'b0}};
              end
              if (gi != G - 1) g <= g + 1'b1;
              else begin
                g <= 0;
                if (owi != OUT_W - 1) ow <= ow + 1'b1;
                else begin
                  ow <= 0;
                  oh <= (ohi != OUT_H - 1) ? oh + 1'b1 : {OHW{1'b0}};
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
        ge2 <= ge1;
      end
    end
  end

  // stage 2: the group's sums -> output register bank, streamed out through one tk_mac_post
  reg [GI-1:0] gres;  // the banked group (selects its bias and correction constants)
  wire [LANES*B_BITS-1:0] bword = brom[gres];
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
      assign cword = crom[gres];
      assign dword = drom[gres];
    end else begin : g_nocv
      assign cword = {LANES * C_BITS{1'b0}};
      assign dword = {LANES * D_BITS{1'b0}};
    end
  endgenerate
  genvar j;
  generate
    for (j = 0; j < LANES; j = j + 1) begin : g_lane
      wire signed [P_BITS-1:0] p = mul_p[j*P_BITS+:P_BITS];
      wire signed [SUM_BITS-1:0] pe;  // the product in the accumulator's width (widths.py: it fits)
      if (SUM_BITS > P_BITS) begin : g_ext
        assign pe = {{(SUM_BITS - P_BITS) {p[P_BITS-1]}}, p};
      end else begin : g_fit
        assign pe = p[SUM_BITS-1:0];
        wire unused_p = &{1'b0, p};  // the bits above SUM_BITS are sign copies
      end
      reg signed [SUM_BITS-1:0] acc;
      always @(posedge clk) if (en && v1) acc <= (first1 ? {SUM_BITS{1'b0}} : acc) + pe;
      assign sums[j*SUM_BITS+:SUM_BITS] = acc;
    end
  endgenerate
  tk_mac_post #(
      .SUM_BITS(SUM_BITS), .V_BITS(V_BITS), .B_BITS(B_BITS), .C_BITS(C_BITS), .D_BITS(D_BITS),
      .X_BITS(X_BITS), .OUT_BITS(OUT_BITS), .SHIFT(SHIFT), .CV(CV), .CV_FRAC(CV_FRAC)
  ) u_post (
      .acc(res[ridx*SUM_BITS+:SUM_BITS]), .v(vres), .bias(bword[ridx*B_BITS+:B_BITS]),
      .c(cword[ridx*C_BITS+:C_BITS]), .d(dword[ridx*D_BITS+:D_BITS]), .y(out_data)
  );
  always @(posedge clk) begin
    if (!rst_n) begin
      res_left <= 0;
      ridx <= 0;
    end else if (xfer) begin
      res <= sums;
      vres <= vs;
      gres <= g2;
      res_left <= n_lanes;
      ridx <= 0;
    end else if (out_fire) begin
      res_left <= res_left - 1'b1;
      ridx <= ridx + 1'b1;
    end
  end
endmodule
`default_nettype wire
