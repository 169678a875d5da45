// Code stream -> AXI-Stream master, the mirror of tk_axis_unpack: LANES codes per
// DATA_BITS-wide beat (bits above LANES*LANE_BITS are 0),
// each sign-extended (SIGNED = 1) or zero-extended into a LANE_BITS lane, lane 0 in the
// low bits; every sample starts a new beat, unused lanes of a sample's last beat are 0.
// TLAST = the flag the unpacker recorded for this sample, on the sample's last beat.
`default_nettype none
module tk_axis_pack #(
    parameter integer DATA_BITS = 64,
    parameter integer LANES = 4,
    parameter integer LANE_BITS = 16,
    parameter integer CODE_BITS = 15,
    parameter integer SIGNED = 1,
    parameter integer N = 10
) (
    input  wire                       clk,
    input  wire                       rst_n,
    input  wire [CODE_BITS-1:0]       in_data,
    input  wire                       in_valid,
    output wire                       in_ready,
    output reg  [DATA_BITS-1:0]       m_tdata,
    output reg                        m_tvalid,
    input  wire                       m_tready,
    output reg                        m_tlast,
    output wire                       flag_pop,
    input  wire                       flag_data
);
  localparam integer DW = DATA_BITS;
  reg [DW-1:0] buffer;
  localparam integer LW = $clog2(LANES + 1), IW = $clog2(N + 1);
  localparam [31:0] LAST_LANE = LANES - 1, LAST_IDX = N - 1;
  reg [LW-1:0] lane;
  reg [IW-1:0] idx;
  wire frame_end = idx == LAST_IDX[IW-1:0];
  assign in_ready = !m_tvalid || m_tready;
  wire fire = in_valid && in_ready;
  wire [LANE_BITS-1:0] ext;  // sign- or zero-extension into the lane
  generate
    if (LANE_BITS > CODE_BITS) begin : g_ext
      assign ext = {{(LANE_BITS - CODE_BITS) {(SIGNED != 0) & in_data[CODE_BITS-1]}}, in_data};
    end else begin : g_fit
      assign ext = in_data;
    end
  endgenerate
  wire [DW-1:0] merged = buffer | ({{(DW - LANE_BITS) {1'b0}}, ext} << (lane * LANE_BITS));
  wire beat_done = (lane == LAST_LANE[LW-1:0]) || frame_end;
  assign flag_pop = fire && frame_end;

  always @(posedge clk) begin
    if (!rst_n) begin
      m_tvalid <= 1'b0;
      m_tlast <= 1'b0;
      buffer <= 0;
      lane <= 0;
      idx <= 0;
    end else begin
      if (fire && beat_done) begin
        m_tdata <= merged;
        m_tvalid <= 1'b1;
        m_tlast <= frame_end && flag_data;
        buffer <= 0;
      end else begin
        if (m_tready) m_tvalid <= 1'b0;
        if (fire) buffer <= merged;
      end
      if (fire) begin
        idx  <= frame_end ? 0 : idx + 1'b1;
        lane <= beat_done ? 0 : lane + 1'b1;
      end
    end
  end
endmodule
`default_nettype wire
