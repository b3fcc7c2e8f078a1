"""One canonical model id across sources: normalization rules, the curated alias file,
resolution of every stored model, and fuzzy suggestions that are only ever listed."""
