package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.model.kernels.Kernels;
import java.util.List;

/**
 * Global-norm clipping (torch.nn.utils.clip_grad_norm_): all gradients scaled together when their joint L2 norm
 * exceeds the limit. The norm is summed on the device and read back once per call (not once per parameter).
 */
public final class GradientClipping {

    private GradientClipping() {}

    /** Returns the norm before clipping; {@code maxNorm <= 0} measures without clipping. */
    public static double clipGlobalNorm(List<NDArray> parameters, double maxNorm) {
        if (parameters.isEmpty()) {
            return 0;
        }
        if (Kernels.available()) {
            return Kernels.clipGradNorm(parameters, maxNorm);
        }
        double norm;
        try (NDScope scope = new NDScope()) {
            NDList squares = new NDList();
            for (NDArray parameter : parameters) {
                squares.add(parameter.getGradient().toType(DataType.FLOAT64, false).square().sum());  // [] on the device
            }
            norm = Math.sqrt(squares.size() == 1 ? squares.head().getDouble() : ai.djl.ndarray.NDArrays.stack(squares).sum().getDouble());
        }
        if (maxNorm > 0 && norm > maxNorm) {
            try (NDScope scope = new NDScope()) {
                NDArray first = parameters.get(0).getGradient();
                NDArray factor = first.getManager().create((float) (maxNorm / (norm + 1e-6))).toDevice(first.getDevice(), false);
                for (NDArray parameter : parameters) {
                    parameter.getGradient().muli(factor);
                }
            }
        }
        return norm;
    }
}
