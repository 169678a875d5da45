// The stand-in's weight ROM, read from a .dat file by relative name as HLS's ROM modules do.
`timescale 1 ns / 1 ps
module toolkit_axis_top_w1_rom (
        q0,
        q1,
        q2,
        q3
);

output  [3:0] q0;
output  [3:0] q1;
output  [3:0] q2;
output  [3:0] q3;

reg [3:0] ram[0:3];

initial begin
    $readmemh("./toolkit_axis_top_w1_rom.dat", ram);
end

assign q0 = ram[0];
assign q1 = ram[1];
assign q2 = ram[2];
assign q3 = ram[3];

endmodule
