// Max pooling engine (valid padding, 1-D or 2-D, any pool and stride), channels last.
// Input codes stream in raster order (h, w, c) into a double-buffered frame buffer;
// compute walks (oh, ow, c) and, per output, the P_H*P_W window elements, keeping the
// running maximum (signed or unsigned compare). One output code per window.
// Cycles per frame: OUT_H*OUT_W*C*P_H*P_W issue cycles + 1.
`default_nettype none
module tk_maxpool #(
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
    parameter integer SIGNED = 0
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire [BITS-1:0] in_data,
    input  wire            in_valid,
    output wire            in_ready,
    output reg  [BITS-1:0] out_data,
    output reg             out_valid,
    input  wire            out_ready
);
  localparam integer N_IN = IN_H * IN_W * C;
  localparam integer MB = $clog2(2 * N_IN + 1);

  /* verilator coverage_off */  // memories: activity is counted on their ports, not per bit
  reg [BITS-1:0] mem[0:2*N_IN-1];
  /* verilator coverage_on */
  reg [MB-1:0] waddr;
  reg wb, rb, busy;
  reg [1:0] full;
  assign in_ready = !full[wb];
  wire in_fire = in_valid && in_ready;

  reg [$clog2(OUT_H+1)-1:0] oh;
  reg [$clog2(OUT_W+1)-1:0] ow;
  reg [$clog2(C+1)-1:0] c;
  reg [$clog2(P_H+1)-1:0] ph;
  reg [$clog2(P_W+1)-1:0] pw;
  integer raddr;
  reg w_first, w_last, last_issue;
  always @* begin
    raddr = (rb ? N_IN : 0) + (((32'd0 + oh) * S_H + ph) * IN_W + (32'd0 + ow) * S_W + pw) * C + c;
    w_first = (ph == 0) && (pw == 0);
    w_last = (ph == P_H - 1) && (pw == P_W - 1);
    last_issue = w_last && (c == C - 1) && (ow == OUT_W - 1) && (oh == OUT_H - 1);
  end

  reg v1, first1, last1, fin;
  reg [BITS-1:0] q, m;
  wire bigger = (SIGNED != 0) ? ($signed(q) > $signed(m)) : (q > m);
  wire en = !fin || !out_valid || out_ready;

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

  always @(posedge clk) begin
    if (!rst_n) begin
      {oh, ow, c, ph, pw} <= 0;
      v1 <= 1'b0;
      fin <= 1'b0;
      out_valid <= 1'b0;
    end else begin
      if (en) begin
        v1 <= busy;
        if (busy) begin
          q <= mem[raddr];
          first1 <= w_first;
          last1 <= w_last;
          if (pw != P_W - 1) pw <= pw + 1;
          else begin
            pw <= 0;
            if (ph != P_H - 1) ph <= ph + 1;
            else begin
              ph <= 0;
              if (c != C - 1) c <= c + 1;
              else begin
                c <= 0;
                if (ow != OUT_W - 1) ow <= ow + 1;
                else begin
                  ow <= 0;
                  oh <= (oh != OUT_H - 1) ? oh + 1 : 0;
                end
              end
            end
          end
        end
        if (v1) m <= (first1 || bigger) ? q : m;
        fin <= v1 && last1;
      end
      // the output register: loaded from the finished maximum, emptied by the consumer
      if (en && fin) begin
        out_data  <= m;
        out_valid <= 1'b1;
      end else if (out_ready) out_valid <= 1'b0;
    end
  end
endmodule
`default_nettype wire
