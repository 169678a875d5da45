// Zero padding of the spatial axes (IR Pad: Keras ZeroPadding1D/2D), channels last: the
// output frame is (P_T + IN_H + P_B) x (P_L + IN_W + P_R) x C in raster order; inb the
// original frame each code is passed through, elsewhere code 0 is emitted without reading
// the input (as emulator.layers.pad). 1-D is IN_H = 1, P_T = P_B = 0. One register stage,
// one code per cycle.
`default_nettype none
module tk_pad #(
    parameter integer IN_H = 1,
    parameter integer IN_W = 4,
    parameter integer C = 1,
    parameter integer P_T = 0,
    parameter integer P_B = 0,
    parameter integer P_L = 1,
    parameter integer P_R = 1,
    parameter integer BITS = 4
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
  localparam integer OUT_H = P_T + IN_H + P_B, OUT_W = P_L + IN_W + P_R;
  localparam integer HW = $clog2(OUT_H + 1), WW = $clog2(OUT_W + 1), CW = $clog2(C + 1);
  reg [HW-1:0] oh;
  reg [WW-1:0] ow;
  reg [CW-1:0] c;
  integer ohi, owi, ci;
  reg inb, last_c, last_w, last_h;
  always @* begin
    {ohi, owi, ci} = 0;
    ohi[HW-1:0] = oh;
    owi[WW-1:0] = ow;
    ci[CW-1:0] = c;
    inb = (ohi >= P_T) && (ohi < P_T + IN_H) && (owi >= P_L) && (owi < P_L + IN_W);
    last_c = ci == C - 1;
    last_w = owi == OUT_W - 1;
    last_h = ohi == OUT_H - 1;
  end
  wire take = !out_valid || out_ready;
  assign in_ready = take && inb;
  wire v = inb ? in_valid : 1'b1;
  always @(posedge clk) begin
    if (!rst_n) begin
      {oh, ow, c} <= 0;
      out_valid <= 1'b0;
      out_data <= {BITS{1'b0}};
    end else if (take) begin
      out_valid <= v;
      if (v) begin
        out_data <= inb ? in_data : {BITS{1'b0}};
        if (!last_c) c <= c + 1'b1;
        else begin
          c <= 0;
          if (!last_w) ow <= ow + 1'b1;
          else begin
            ow <= 0;
            oh <= last_h ? {HW{1'b0}} : oh + 1'b1;
          end
        end
      end
    end
  end
endmodule
`default_nettype wire
