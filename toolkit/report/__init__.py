"""Tables and plots that show a person what a stage found."""
