// Join of N streams on the channel axis (IR Concatenate): per spatial position, CH[0] codes
// from input 0, then CH[1] from input 1, ... (channels-last order, as emulator.layers.concatenate).
// The wrapper aligns every input to the output's fraction bits into W-bit lanes of in_data.
// CH packs the channel counts, 16 bits per input (input i in bits [16i +: 16]); at most 8
// inputs. One register stage, one code per cycle.
`default_nettype none
module tk_concat #(
    parameter integer N = 2,
    parameter integer W = 8,
    parameter [127:0] CH = {112'd0, 16'd1}
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
  localparam integer SB = (N > 1) ? $clog2(N) : 1;
  localparam [31:0] LAST = N - 1;
  reg [SB-1:0] sel;  // the input being copied
  reg [15:0] cnt;  // channels of it copied at this position
  wire take = !out_valid || out_ready;
  wire [15:0] chn = CH[sel*16+:16];
  wire [N-1:0] one = {{(N - 1) {1'b0}}, 1'b1};
  assign in_ready = take ? (one << sel) : {N{1'b0}};
  wire v = in_valid[sel];
  /* verilator lint_off UNUSEDSIGNAL */  // CH fields of inputs past N are unused
  wire [127:0] unused_ch = CH;
  /* verilator lint_on UNUSEDSIGNAL */
  always @(posedge clk) begin
    if (!rst_n) begin
      out_valid <= 1'b0;
      out_data <= {W{1'b0}};
      sel <= {SB{1'b0}};
      cnt <= 16'd0;
    end else if (take) begin
      out_valid <= v;
      if (v) begin
        out_data <= in_data[sel*W+:W];
        if (cnt == chn - 16'd1) begin
          cnt <= 16'd0;
          sel <= (sel == LAST[SB-1:0]) ? {SB{1'b0}} : sel + 1'b1;
        end else cnt <= cnt + 16'd1;
      end
    end
  end
endmodule
`default_nettype wire
