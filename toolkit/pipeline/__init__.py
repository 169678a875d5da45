"""The ordered build steps (quantize, approx, hls, rtl, synth, package) and the engine that runs them."""
