package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import dev.tooltune.model.kernels.Kernels;
import java.util.List;

/**
 * AdamW (Loshchilov and Hutter 2019) as torch.optim.AdamW computes it: weight decay decoupled from the
 * gradient ({@code p *= 1 - lr * weightDecay}), then the bias-corrected Adam step
 * {@code p -= lr * m_hat / (sqrt(v_hat) + eps)}. Moments are fp32 and live next to the parameters.
 */
public final class AdamW implements AutoCloseable {

    private final List<NDArray> parameters;
    private final NDManager manager;
    private final NDList firstMoments;
    private final NDList secondMoments;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final double weightDecay;
    private long step;

    public AdamW(NDManager parent, List<NDArray> parameters, double beta1, double beta2, double epsilon, double weightDecay) {
        this.parameters = List.copyOf(parameters);
        this.manager = parent.newSubManager();
        this.firstMoments = new NDList();
        this.secondMoments = new NDList();
        for (NDArray parameter : parameters) {
            firstMoments.add(manager.zeros(parameter.getShape(), parameter.getDataType(), parameter.getDevice()));
            secondMoments.add(manager.zeros(parameter.getShape(), parameter.getDataType(), parameter.getDevice()));
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        this.weightDecay = weightDecay;
    }

    /** One update with each parameter's accumulated gradient (must be called outside a GradientCollector). */
    public void step(double learningRate) {
        step++;
        double biasCorrection1 = 1 - Math.pow(beta1, step);
        double biasCorrection2 = 1 - Math.pow(beta2, step);
        double stepSize = learningRate / biasCorrection1;
        double sqrtBiasCorrection2 = Math.sqrt(biasCorrection2);
        if (Kernels.available()) {
            // multi-tensor kernels over all parameters, scalars as kernel arguments (no host-to-device copies)
            Kernels.adamW(parameters, firstMoments, secondMoments, learningRate, beta1, beta2, epsilon, weightDecay, step);
            return;
        }
        for (int i = 0; i < parameters.size(); i++) {
            NDArray parameter = parameters.get(i);
            try (NDScope scope = new NDScope()) {
                NDArray gradient = parameter.getGradient();
                NDArray m = firstMoments.get(i);
                NDArray v = secondMoments.get(i);
                m.muli(beta1).addi(gradient.mul(1 - beta1));
                v.muli(beta2).addi(gradient.square().muli(1 - beta2));
                if (weightDecay != 0) {
                    parameter.muli(1 - learningRate * weightDecay);
                }
                NDArray denominator = v.sqrt().divi(sqrtBiasCorrection2).addi(epsilon);
                parameter.subi(m.div(denominator).muli(stepSize));
            }
        }
    }

    /** Sets every parameter's gradient to zero, ready for the next accumulation. */
    public void zeroGradients() {
        for (NDArray parameter : parameters) {
            try (NDScope scope = new NDScope()) {
                // a fill, not g - g: a skipped step may leave NaN or inf behind, and NaN - NaN is NaN
                parameter.getGradient().set(new NDIndex("..."), 0);
            }
        }
    }

    public long stepCount() {
        return step;
    }

    /** Moments in parameter order (m_0, v_0, m_1, v_1, ...), for checkpoints. */
    public NDList state() {
        NDList out = new NDList();
        for (int i = 0; i < parameters.size(); i++) {
            out.add(firstMoments.get(i));
            out.add(secondMoments.get(i));
        }
        return out;
    }

    /** Restores moments and the step count saved by {@link #state()}. */
    public void restore(NDList state, long stepCount) {
        if (state.size() != 2 * parameters.size()) {
            throw new IllegalArgumentException("optimizer state has " + state.size() + " arrays, expected " + 2 * parameters.size());
        }
        for (int i = 0; i < parameters.size(); i++) {
            overwrite(firstMoments.get(i), state.get(2 * i));
            overwrite(secondMoments.get(i), state.get(2 * i + 1));
        }
        this.step = stepCount;
    }

    /** Copies {@code source} into {@code target} in place, on the target's device and dtype. */
    static void overwrite(NDArray target, NDArray source) {
        if (!target.getShape().equals(source.getShape())) {
            throw new IllegalArgumentException("cannot restore " + source.getShape() + " into " + target.getShape());
        }
        try (NDScope scope = new NDScope()) {
            target.muli(0).addi(source.toType(target.getDataType(), false).toDevice(target.getDevice(), false));
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
