// A tiny FIFO of 1-bit flags (the per-sample TLAST from unpacker to packer). DEPTH_LOG
// bits of pointer: 2^DEPTH_LOG samples may be in flight; when full, the unpacker waits.
`default_nettype none
module tk_flag_fifo #(
    parameter integer DEPTH_LOG = 4
) (
    input  wire clk,
    input  wire rst_n,
    input  wire push,
    input  wire push_data,
    output wire full,
    input  wire pop,
    output wire head
);
  reg [(1<<DEPTH_LOG)-1:0] flags;
  reg [DEPTH_LOG:0] wp, rp;
  assign full = (wp[DEPTH_LOG] != rp[DEPTH_LOG]) && (wp[DEPTH_LOG-1:0] == rp[DEPTH_LOG-1:0]);
  assign head = flags[rp[DEPTH_LOG-1:0]];
  always @(posedge clk) begin
    if (!rst_n) begin
      wp <= 0;
      rp <= 0;
    end else begin
      if (push && !full) begin
        flags[wp[DEPTH_LOG-1:0]] <= push_data;
        wp <= wp + 1'b1;
      end
      if (pop) rp <= rp + 1'b1;
    end
  end
endmodule
`default_nettype wire
