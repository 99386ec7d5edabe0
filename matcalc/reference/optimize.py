"""Reference optimisers: gradient descent and Newton's method (course part 2)."""

__all__ = []
