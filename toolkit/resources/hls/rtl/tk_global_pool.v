// Global pooling (IR GlobalPool): the maximum (OP = 0) or the average (OP = 1) of every
// spatial position, per channel, of a P x C channels-last frame (emulator.layers.global_pool).
// One running value per channel (a C-word memory): position 0 loads it, later positions
// fold the code in (max, or the exact sum in ACC_BITS); at the last position the result
// leaves directly, for max the maximum, for avg tk_div_const's trunc(sum * 2^G / P). So
// the stage streams at one code per cycle and emits C codes per frame, no frame buffer.
`default_nettype none
module tk_global_pool #(
    parameter integer P = 4,
    parameter integer C = 2,
    parameter integer IN_BITS = 4,
    parameter integer IN_SIGNED = 1,
    parameter integer OP = 0,
    parameter integer ACC_BITS = 8,
    parameter integer OUT_BITS = 4,
    parameter integer R_BITS = 1,
    parameter [63:0] R = 64'd1,
    parameter integer RS = 0
) (
    input  wire                clk,
    input  wire                rst_n,
    input  wire [IN_BITS-1:0]  in_data,
    input  wire                in_valid,
    output wire                in_ready,
    output reg  [OUT_BITS-1:0] out_data,
    output reg                 out_valid,
    input  wire                out_ready
);
  localparam integer PW = $clog2(P + 1), CB = (C > 1) ? $clog2(C) : 1;
  localparam [31:0] LAST_P = P - 1, LAST_C = C - 1;
  /* verilator coverage_off */
  reg [ACC_BITS-1:0] acc[0:C-1];
  /* verilator coverage_on */
  reg [PW-1:0] pos;
  reg [CB-1:0] c;
  wire last = pos == LAST_P[PW-1:0];
  wire take = !out_valid || out_ready;
  assign in_ready = !last || take;
  wire fire = in_valid && in_ready;
  wire signed [ACC_BITS-1:0] x =
      $signed({{(ACC_BITS - IN_BITS) {(IN_SIGNED != 0) & in_data[IN_BITS-1]}}, in_data});
  wire signed [ACC_BITS-1:0] prev = acc[c];
  wire signed [ACC_BITS-1:0] folded = (OP != 0) ? prev + x : ((x > prev) ? x : prev);
  wire signed [ACC_BITS-1:0] v = (pos == {PW{1'b0}}) ? x : folded;
  wire [OUT_BITS-1:0] result;
  generate
    if (OP != 0) begin : g_avg
      tk_div_const #(
          .S_BITS(ACC_BITS), .R_BITS(R_BITS), .R(R), .RS(RS), .OUT_BITS(OUT_BITS)
      ) u_div (.s(v), .q(result));
    end else begin : g_max
      assign result = v[OUT_BITS-1:0];  // the maximum is one of the codes: it fits IN_BITS
      /* verilator lint_off UNUSEDSIGNAL */
      wire [ACC_BITS-1:0] unused_v = v;
      /* verilator lint_on UNUSEDSIGNAL */
    end
  endgenerate
  always @(posedge clk) if (fire && !last) acc[c] <= v;
  always @(posedge clk) begin
    if (!rst_n) begin
      pos <= {PW{1'b0}};
      c <= {CB{1'b0}};
      out_valid <= 1'b0;
      out_data <= {OUT_BITS{1'b0}};
    end else begin
      if (fire) begin
        if (c == LAST_C[CB-1:0]) begin
          c <= {CB{1'b0}};
          pos <= last ? {PW{1'b0}} : pos + 1'b1;
        end else c <= c + 1'b1;
      end
      if (fire && last) begin
        out_data  <= result;
        out_valid <= 1'b1;
      end else if (out_ready) out_valid <= 1'b0;
    end
  end
endmodule
`default_nettype wire
