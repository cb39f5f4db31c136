"""nn.init: PyTorch's initialisation schemes (being written)."""
