// AXI-Stream slave -> code stream. A DATA_BITS-wide beat carries LANES codes, lane i in
// bits [i*LANE_BITS +: LANE_BITS] (little-endian lanes; bits above LANES*LANE_BITS are
// ignored); a code is the low CODE_BITS of its lane (the driver sign-extends, the hardware
// ignores the extension bits). Every sample starts on a new beat: a sample of N codes
// takes ceil(N / LANES) beats and the unused lanes of its last beat are ignored. TLAST is
// sampled on the last beat of each sample and handed to the packer through the flag FIFO
// (push when the sample's last code leaves here), so the output TLAST mirrors the input's
// per sample: set it on every sample's last beat or only at the end of a batch, as the
// DMA does.
`default_nettype none
module tk_axis_unpack #(
    parameter integer DATA_BITS = 64,
    parameter integer LANES = 8,
    parameter integer LANE_BITS = 8,
    parameter integer CODE_BITS = 4,
    parameter integer N = 64
) (
    input  wire                       clk,
    input  wire                       rst_n,
    input  wire [DATA_BITS-1:0]       s_tdata,
    input  wire                       s_tvalid,
    output wire                       s_tready,
    input  wire                       s_tlast,
    output wire [CODE_BITS-1:0]       out_data,
    output wire                       out_valid,
    input  wire                       out_ready,
    output wire                       flag_push,
    output wire                       flag_data,
    input  wire                       flag_full
);
  reg have, last;
  reg [DATA_BITS-1:0] beat;
  localparam integer LW = $clog2(LANES + 1), IW = $clog2(N + 1);
  localparam [31:0] LAST_LANE = LANES - 1, LAST_IDX = N - 1;
  reg [LW-1:0] lane;
  reg [IW-1:0] idx;
  wire frame_end = idx == LAST_IDX[IW-1:0];
  assign out_valid = have && !(frame_end && flag_full);
  assign out_data = beat[lane*LANE_BITS+:CODE_BITS];
  wire fire = out_valid && out_ready;
  wire beat_done = (lane == LAST_LANE[LW-1:0]) || frame_end;
  assign s_tready = !have || (fire && beat_done);
  assign flag_push = fire && frame_end;
  assign flag_data = last;

  always @(posedge clk) begin
    if (!rst_n) begin
      have <= 1'b0;
      lane <= 0;
      idx  <= 0;
    end else begin
      if (fire) begin
        idx  <= frame_end ? 0 : idx + 1'b1;
        lane <= beat_done ? 0 : lane + 1'b1;
      end
      if (s_tvalid && s_tready) begin
        have <= 1'b1;
        beat <= s_tdata;
        last <= s_tlast;
      end else if (fire && beat_done) have <= 1'b0;
    end
  end
endmodule
`default_nettype wire
