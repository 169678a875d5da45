// Join of N streams element by element (IR Add; Subtract is Add with signs (1, -1)):
//   y = sum_i (-1)^SUB[i] x_i      exact, as emulator.layers.add.
// The wrapper aligns every input to the output's fraction bits (a left shift and a sign
// or zero extension are wiring) into W-bit two's-complement lanes of in_data; W holds every
// value the input ports can give (toolkit/rtlgen/graph.py), so nothing wraps. A code is
// taken from every input at once when all are valid. One register stage, full throughput.
`default_nettype none
module tk_add #(
    parameter integer N = 2,
    parameter integer W = 8,
    parameter integer SUB = 0  // bit i set: input i is subtracted
) (
    input  wire           clk,
    input  wire           rst_n,
    input  wire [N*W-1:0] in_data,
    input  wire [N-1:0]   in_valid,
    output wire [N-1:0]   in_ready,
    output reg  [W-1:0]   out_data,
    output reg            out_valid,
    input  wire           out_ready
);
  wire take = !out_valid || out_ready;
  wire all_valid = &in_valid;
  assign in_ready = {N{take && all_valid}};
  reg [W-1:0] sum;
  integer i;
  always @* begin
    sum = {W{1'b0}};
    for (i = 0; i < N; i = i + 1) begin
      if (((SUB >> i) & 1) != 0) sum = sum - in_data[i*W+:W];
      else sum = sum + in_data[i*W+:W];
    end
  end
  always @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data  <= {W{1'b0}};
    end else if (take) begin
      out_valid <= all_valid;
      if (all_valid) out_data <= sum;
    end
  end
endmodule
`default_nettype wire
