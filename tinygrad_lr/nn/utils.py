"""nn.utils: gradient clipping and parameter vectors (being written)."""
