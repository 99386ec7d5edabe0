"""matcalc: numerical derivatives and gradient checks that explain what went wrong.

    import matcalc as mc
    mc.numerical_gradient(f, X)        # array of X.shape
    mc.check_gradient(grad_f, f, X)    # raises mc.GradientCheckError with a diagnosis

Layout: numerator layout for Jacobians (shape f(x).shape + x.shape); the
gradient of a scalar with respect to an array has the array's shape.
"""
from .checks import CheckResult, check_gradient, check_hessian, check_jacobian
from .diagnose import GradientCheckError, rel_error
from .grading import StudentError, with_helpers
from .numerical import numerical_derivative, numerical_gradient, numerical_hessian, numerical_jacobian

__all__ = [
    "CheckResult",
    "GradientCheckError",
    "check_gradient",
    "check_hessian",
    "check_jacobian",
    "numerical_derivative",
    "numerical_gradient",
    "numerical_hessian",
    "numerical_jacobian",
    "rel_error",
    "StudentError",
    "with_helpers",
]
