// Fork of a stream to N consumers (a tensor read by several layers, e.g. a skip connection):
// a broadcast FIFO, one ring of DEPTH codes written once per input code and read by N
// independent read pointers. A code is accepted when every reader has room, so a consumer
// can fall up to DEPTH codes behind the fastest one; each output is valid while its reader
// has codes left. The generator sizes DEPTH by a closed form (toolkit/rtlgen/graph.py:
// one frame of the forked tensor plus slack), so no join downstream can deadlock under any
// backpressure. Outputs read the ring combinationally (stable while stalled: the writer
// only fills slots every reader has passed).
`default_nettype none
module tk_fork #(
    parameter integer N = 2,
    parameter integer BITS = 4,
    parameter integer DEPTH = 16
) (
    input  wire              clk,
    input  wire              rst_n,
    input  wire [BITS-1:0]   in_data,
    input  wire              in_valid,
    output wire              in_ready,
    output wire [N*BITS-1:0] out_data,
    output wire [N-1:0]      out_valid,
    input  wire [N-1:0]      out_ready
);
  localparam integer AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam integer CB = $clog2(DEPTH + 1);
  localparam [31:0] LAST = DEPTH - 1, D32 = DEPTH;
  /* verilator coverage_off */  // memories: activity is counted on their ports
  reg [BITS-1:0] mem[0:DEPTH-1];
  /* verilator coverage_on */
  reg [AB-1:0] wptr;
  wire [N-1:0] room;
  assign in_ready = &room;
  wire in_fire = in_valid && in_ready;
  always @(posedge clk) if (in_fire) mem[wptr] <= in_data;
  always @(posedge clk) begin
    if (!rst_n) wptr <= {AB{1'b0}};
    else if (in_fire) wptr <= (wptr == LAST[AB-1:0]) ? {AB{1'b0}} : wptr + 1'b1;
  end
  genvar i;
  generate
    for (i = 0; i < N; i = i + 1) begin : g_out
      reg [AB-1:0] rptr;
      reg [CB-1:0] count;  // codes this reader has not taken yet
      wire pop = out_valid[i] && out_ready[i];
      assign room[i] = count != D32[CB-1:0];
      assign out_valid[i] = count != {CB{1'b0}};
      assign out_data[i*BITS+:BITS] = mem[rptr];
      always @(posedge clk) begin
        if (!rst_n) begin
          rptr  <= {AB{1'b0}};
          count <= {CB{1'b0}};
        end else begin
          if (pop) rptr <= (rptr == LAST[AB-1:0]) ? {AB{1'b0}} : rptr + 1'b1;
          if (in_fire && !pop) count <= count + 1'b1;
          else if (pop && !in_fire) count <= count - 1'b1;
        end
      end
    end
  endgenerate
endmodule
`default_nettype wire
