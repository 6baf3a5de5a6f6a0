# cython: language_level=3
"""Per-point math of every activation and derivative, for float and double.

One definition per function serves both dtypes through the fused type
``floating``; the transcendental parts come from C (``src/cyact_math.h``,
``src/cyact_grad.h``) where the accuracy work lives. Everything here is
``inline noexcept nogil`` so the loops in ``_kernels.pyx.tp`` vectorize.

Conventions kept by every function:
- NaN in gives NaN out: comparisons with NaN are false, so each select is
  ordered to fall through to an arithmetic branch that carries the NaN.
- At x = 0 a derivative takes the x <= 0 branch (relu'(0) = 0, as PyTorch).
- Literals are integers or cast to ``floating``, so float32 arithmetic is
  never promoted to double by accident.
"""
from cython cimport floating

cdef extern from "cyact_math.h" nogil:
    float cy_expf(float) noexcept
    double cy_exp(double) noexcept
    double cy_exp_rowf(double) noexcept
    double cy_exp_of_float(double) noexcept
    double cy_exp_rowd(double, double) noexcept
    double cy_exp_rowd_lse(double, double) noexcept
    const double CY_EXP_ROWD_SCALE
    const double CY_EXP_ROWD_LSE_SCALE
    double cy_div_by(double, double, double, double) noexcept
    double cy_recip_lo(double, double) noexcept
    float cy_expm1f(float) noexcept
    double cy_expm1(double) noexcept
    float cy_log1pf(float) noexcept
    double cy_log1p(double) noexcept
    float cy_tanhf(float) noexcept
    double cy_tanh(double) noexcept
    float cy_sigmoidf(float) noexcept
    double cy_sigmoid(double) noexcept
    float cy_sigmoid_gradf(float) noexcept
    double cy_sigmoid_grad(double) noexcept
    float cy_tanh_gradf(float) noexcept
    double cy_tanh_grad(double) noexcept

cdef extern from "cyact_tables.h" nogil:
    void cy_tanhf_array(const float*, float*, Py_ssize_t) noexcept
    void cy_tanh_array(const double*, double*, Py_ssize_t) noexcept
    void cy_sigmoidf_array(const float*, float*, Py_ssize_t) noexcept
    void cy_sigmoid_array(const double*, double*, Py_ssize_t) noexcept

cdef extern from "cyact_grad.h" nogil:
    float cy_sigmoid_grad_from_yf(float) noexcept
    double cy_sigmoid_grad_from_y(double) noexcept
    float cy_tanh_grad_from_yf(float) noexcept
    double cy_tanh_grad_from_y(double) noexcept


cdef inline floating exp(floating x) noexcept nogil:
    if floating is float:
        return cy_expf(x)
    else:
        return cy_exp(x)


cdef inline floating expm1(floating x) noexcept nogil:
    if floating is float:
        return cy_expm1f(x)
    else:
        return cy_expm1(x)


cdef inline floating log1p(floating x) noexcept nogil:
    if floating is float:
        return cy_log1pf(x)
    else:
        return cy_log1p(x)


# ---- forward -------------------------------------------------------------

cdef inline floating sigmoid(floating x) noexcept nogil:
    if floating is float:
        return cy_sigmoidf(x)
    else:
        return cy_sigmoid(x)


cdef inline floating tanh(floating x) noexcept nogil:
    if floating is float:
        return cy_tanhf(x)
    else:
        return cy_tanh(x)


cdef inline void sigmoid_array(const floating* a, floating* out, Py_ssize_t n) noexcept nogil:
    # sigmoid over an array: in the AVX-512 build float32 with vrcp14ps and
    # float64 with a table of 2^(j/16) (see src/cyact_tables.h), the point
    # function above in the others.
    if floating is float:
        cy_sigmoidf_array(a, out, n)
    else:
        cy_sigmoid_array(a, out, n)


cdef inline void tanh_array(const floating* a, floating* out, Py_ssize_t n) noexcept nogil:
    # tanh over an array (src/cyact_tables.h): float32 table-driven in the
    # AVX-512 and AVX2 builds, float64 with vrcp14pd in the AVX-512 build, the
    # point function above in the others.
    if floating is float:
        cy_tanhf_array(a, out, n)
    else:
        cy_tanh_array(a, out, n)


cdef inline floating relu(floating x) noexcept nogil:
    # x <= 0 is false for NaN, which then passes through; -0.0 gives +0.0.
    return 0 if x <= 0 else x


cdef inline floating leaky_relu(floating x, floating slope) noexcept nogil:
    return x if x > 0 else slope * x


cdef inline floating elu(floating x, floating alpha) noexcept nogil:
    # expm1 keeps full relative precision for x near 0, where exp(x) - 1 cancels.
    return x if x > 0 else alpha * expm1(x)


# ---- derivatives ---------------------------------------------------------

cdef inline floating sigmoid_grad_x(floating x) noexcept nogil:
    if floating is float:
        return cy_sigmoid_gradf(x)
    else:
        return cy_sigmoid_grad(x)


cdef inline floating sigmoid_grad_y(floating y) noexcept nogil:
    if floating is float:
        return cy_sigmoid_grad_from_yf(y)
    else:
        return cy_sigmoid_grad_from_y(y)


cdef inline floating tanh_grad_x(floating x) noexcept nogil:
    if floating is float:
        return cy_tanh_gradf(x)
    else:
        return cy_tanh_grad(x)


cdef inline floating tanh_grad_y(floating y) noexcept nogil:
    if floating is float:
        return cy_tanh_grad_from_yf(y)
    else:
        return cy_tanh_grad_from_y(y)


cdef inline floating relu_grad(floating v) noexcept nogil:
    # Serves x and y alike (y > 0 exactly when x > 0): 1 above 0, 0 below
    # (-inf and -0 too), and a NaN v passes through. The 0 or 1 comes from
    # the comparison as a number, not from a select: GCC pushes the caller's
    # product with grad into selects of constants (g, g * 0, g * v) and its
    # AVX2 loop took eight instructions where this takes five (Zen 3, 1e5
    # elements in place, A/B: float32 1.12x, float64 1.06x as fast).
    cdef floating t = v > 0
    return t if v == v else v


cdef inline floating leaky_relu_grad(floating v, floating slope) noexcept nogil:
    # From x, or from y when slope > 0 (then y > 0 exactly when x > 0). A
    # NaN v joins as a term (-0 otherwise, which adds exactly), not as a
    # select around the slope's: GCC cannot push grad's product through an
    # addition, while nested selects became g, g * slope and g * v blended
    # (AVX2: eight instructions, now six; float32 1.05x, float64 1.02x).
    cdef floating r = 1 if v > 0 else slope
    return r + (v if v != v else <floating>-0.0)


cdef inline floating elu_grad_x(floating x, floating alpha) noexcept nogil:
    return 1 if x > 0 else alpha * exp(x)


cdef inline floating elu_grad_y(floating y, floating alpha) noexcept nogil:
    # For x <= 0, y = alpha*(exp(x) - 1), so alpha*exp(x) = y + alpha exactly
    # once rounded; valid when alpha > 0, where y > 0 exactly when x > 0.
    return 1 if y > 0 else y + alpha
