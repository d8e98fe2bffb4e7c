package dev.tooltune.model.gemma3;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.kernels.Kernels;

/**
 * Multiplication by a constant that autograd can keep. DJL's {@code mul(Number)} wraps the number in a tensor
 * over a Java buffer and frees that buffer as soon as the op returns, while autograd saves the tensor for the
 * backward pass (d(x*c)/dx = c): after a garbage collection the backward pass reads freed memory, which showed
 * up as sporadic non-finite gradients in training. The scalar made here lives in libtorch's own memory, made
 * on x's device by a fill (no host-to-device copy).
 */
final class Scaled {
    private Scaled() {
    }

    /** x * value, value as a libtorch-owned scalar of x's type (fp32 for bf16 x: the product stays bf16). */
    static NDArray times(NDArray x, float value) {
        return x.mul(x.getManager().full(new Shape(), value, Kernels.scalarType(x)));
    }

    /** x / value, value as a libtorch-owned scalar of x's type (d(x/c)/dx = 1/c is saved too). */
    static NDArray dividedBy(NDArray x, float value) {
        return x.div(x.getManager().full(new Shape(), value, Kernels.scalarType(x)));
    }
}
