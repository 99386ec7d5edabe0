"""Reference activations, losses and a small fully connected network (course part 3)."""

__all__ = []
