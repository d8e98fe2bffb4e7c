package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import java.util.List;

/** Global-norm clipping (torch.nn.utils.clip_grad_norm_): all gradients scaled together when their joint L2 norm exceeds the limit. */
public final class GradientClipping {

    private GradientClipping() {}

    /** Returns the norm before clipping; {@code maxNorm <= 0} measures without clipping. */
    public static double clipGlobalNorm(List<NDArray> parameters, double maxNorm) {
        double squared = 0;
        for (NDArray parameter : parameters) {
            try (NDScope scope = new NDScope()) {
                squared += parameter.getGradient().square().sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
            }
        }
        double norm = Math.sqrt(squared);
        if (maxNorm > 0 && norm > maxNorm) {
            double factor = maxNorm / (norm + 1e-6);
            for (NDArray parameter : parameters) {
                try (NDScope scope = new NDScope()) {
                    parameter.getGradient().muli(factor);
                }
            }
        }
        return norm;
    }
}
