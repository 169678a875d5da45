// Input buffer of the window engines (tk_mac, tk_pool): a stream of codes in raster
// order (h, w, c) in, random reads of the current frame's elements out.
//
// DEPTH = 0: a double-buffered whole frame (two banks of N_IN codes): the next frame loads
// while this one is read; reads start the cycle after the frame is complete (rd_ok = busy).
//
// DEPTH > 0: a line buffer, a ring of DEPTH codes (a power of two at least the span of one
// window: (K_H-1) rows plus K_W samples, times C; less than N_IN). Frame-relative element i lives in slot
// (base + i) mod DEPTH. The engine says which elements it may still read (keep_from: every
// element below it is done with, for this and every later window of the frame); the loader
// writes while fewer than DEPTH codes from keep_from on are held, so it overwrites only
// elements below keep_from. An element can be read once it has been written (rd_idx <
// ahead, the codes written since the frame's base); the engine reads padding at index 0,
// so it waits for the frame's first code and an idle engine stays at its first window.
// The loader runs into the next frame as far as the ring allows; frame_done moves the
// base on by N_IN.
`default_nettype none
module tk_line_buffer #(
    parameter integer BITS = 4,
    parameter integer N_IN = 16,
    parameter integer DEPTH = 0,
    parameter integer IB = (N_IN > 1) ? $clog2(N_IN) : 1  // derived: index width
) (
    input  wire            clk,
    input  wire            rst_n,
    input  wire [BITS-1:0] in_data,
    input  wire            in_valid,
    output wire            in_ready,
    input  wire [IB-1:0]   rd_idx,      // frame-relative index of the element to read
    input  wire [IB-1:0]   keep_from,   // lowest index this and later windows still read
    output wire            rd_ok,       // the element may be read this cycle
    input  wire            rd_en,       // read it: rd_data holds it from the next cycle
    output reg  [BITS-1:0] rd_data,
    input  wire            frame_done   // the frame's last element was read (with rd_en)
);
  wire in_fire = in_valid && in_ready;

  generate
    if (DEPTH == 0) begin : g_frame
      localparam integer MB = $clog2(2 * N_IN);
      /* verilator coverage_off */  // memories: activity is counted on their ports, not per bit
      reg [BITS-1:0] mem[0:2*N_IN-1];
      /* verilator coverage_on */
      reg [IB-1:0] waddr;
      reg wb, rb, busy;
      reg [1:0] full;
      localparam [31:0] LAST = N_IN - 1;
      assign in_ready = !full[wb];
      assign rd_ok = busy;
      wire [MB-1:0] wa = (wb ? N_IN[MB-1:0] : {MB{1'b0}}) + {{(MB - IB) {1'b0}}, waddr};
      wire [MB-1:0] ra = (rb ? N_IN[MB-1:0] : {MB{1'b0}}) + {{(MB - IB) {1'b0}}, rd_idx};
      always @(posedge clk) begin
        if (in_fire) mem[wa] <= in_data;
        if (rd_en) rd_data <= mem[ra];
      end
      always @(posedge clk) begin
        if (!rst_n) begin
          waddr <= {IB{1'b0}};
          wb <= 1'b0;
          rb <= 1'b0;
          full <= 2'b00;
          busy <= 1'b0;
        end else begin
          if (in_fire) begin
            if (waddr == LAST[IB-1:0]) begin
              waddr <= {IB{1'b0}};
              full[wb] <= 1'b1;
              wb <= ~wb;
            end else waddr <= waddr + 1'b1;
          end
          if (!busy && full[rb]) busy <= 1'b1;
          if (frame_done) begin
            busy <= 1'b0;
            full[rb] <= 1'b0;
            rb <= ~rb;
          end
        end
      end
      wire unused = &{1'b0, keep_from};  // the whole frame is kept
    end else begin : g_line
      localparam integer AB = (DEPTH > 1) ? $clog2(DEPTH) : 1;
      localparam integer CB = $clog2(N_IN + DEPTH + 1) + 2;  // signed: -N_IN .. N_IN + DEPTH
      localparam [31:0] STEP = N_IN % DEPTH, D32 = DEPTH, N32 = N_IN;
      localparam signed [CB-1:0] DEPTH_C = D32[CB-1:0], N_C = N32[CB-1:0];
      /* verilator coverage_off */
      reg [BITS-1:0] mem[0:DEPTH-1];
      /* verilator coverage_on */
      reg [AB-1:0] wptr, base;
      reg signed [CB-1:0] ahead;  // codes written since the frame's base
      wire signed [CB-1:0] idx = $signed({{(CB - IB) {1'b0}}, rd_idx});
      wire signed [CB-1:0] keep = $signed({{(CB - IB) {1'b0}}, keep_from});
      assign in_ready = ahead - keep < DEPTH_C;
      assign rd_ok = idx < ahead;
      wire [AB-1:0] ra = base + rd_idx[AB-1:0];  // DEPTH < N_IN, so AB <= IB
      always @(posedge clk) begin
        if (in_fire) mem[wptr] <= in_data;
        if (rd_en) rd_data <= mem[ra];
      end
      always @(posedge clk) begin
        if (!rst_n) begin
          wptr  <= {AB{1'b0}};
          base  <= {AB{1'b0}};
          ahead <= {CB{1'b0}};
        end else begin
          if (in_fire) wptr <= wptr + 1'b1;
          if (frame_done) base <= base + STEP[AB-1:0];
          ahead <= ahead + $signed({{(CB - 1) {1'b0}}, in_fire}) - (frame_done ? N_C : {CB{1'b0}});
        end
      end
    end
  endgenerate
endmodule
`default_nettype wire
