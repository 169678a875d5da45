"""Design-space sweeps: every point an ordinary build folder, run serially or as Ray tasks."""
