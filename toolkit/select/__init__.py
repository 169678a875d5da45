"""FAMES selection: profile operands, score (layer, design) pairs, pick by ILP under an accuracy budget."""
