package dev.tooltune.model.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tooltune.model.kernels.Kernels;
import dev.tooltune.model.kernels.TrainingKernel;

/**
 * Token-weighted cross entropy over the trained positions only, computed chunk by chunk from hidden states.
 *
 * <p>Only positions with a non-zero target weight are gathered ([N, hidden]); their logits are formed
 * {@code chunk} rows at a time ([chunk, vocab]), each chunk's loss is back-propagated at once into a
 * detached copy of the gathered hidden states, and only then does one backward pass run through the model.
 * Peak memory for the output layer is therefore one chunk of logits, not [B, T, 262144]. With the native training
 * kernels ({@link TrainingKernel#CROSS_ENTROPY}) the chunk loop, the fp32 softmax and the logits' gradient run inside
 * one autograd node that keeps only the [N, H] input gradient, so a single backward runs through the model.
 */
public final class TokenCrossEntropy {

    private final int chunk;

    public TokenCrossEntropy(int chunk) {
        if (chunk <= 0) {
            throw new IllegalArgumentException("loss chunk must be positive, got " + chunk);
        }
        this.chunk = chunk;
    }

    /**
     * Adds {@code sum_i w_i * -log p(target_i) / normaliser} to the gradients and returns the unnormalised
     * weighted sum (for logging). Must run inside {@code collector}; {@code hidden} is [B, T, H] with graph.
     */
    public double backward(GradientCollector collector, NDArray hidden, Batch batch, NDArray outputEmbedding,
            double softcap, double normaliser) {
        NDManager manager = hidden.getManager();
        Selection selection = select(manager, batch);
        if (selection.count == 0) {
            return 0;
        }
        try (NDScope scope = new NDScope()) {
            long hiddenSize = hidden.getShape().get(hidden.getShape().dimension() - 1);
            NDArray gathered = hidden.reshape(-1, hiddenSize).get(selection.indices);        // [N, H], with graph
            if (Kernels.enabled(TrainingKernel.CROSS_ENTROPY)) {
                // one autograd node: logits and their gradient chunk by chunk inside, one backward through the model
                NDArray loss = Kernels.linearCrossEntropy(gathered, outputEmbedding, selection.targets, selection.weights,
                        softcap, chunk);
                double sum = scalar(loss.stopGradient());
                collector.backward(loss.div(scalar(loss, normaliser)));
                return sum;
            }
            NDArray detached = gathered.stopGradient();
            detached.setRequiresGradient(true);
            NDArray total = null; // summed on the device, read back once (not once per chunk)
            for (int start = 0; start < selection.count; start += chunk) {
                int end = Math.min(selection.count, start + chunk);
                NDArray loss = chunkLoss(detached.get(start + ":" + end), selection, start, end, outputEmbedding, softcap);
                NDArray value = loss.stopGradient();
                total = total == null ? value : total.add(value);
                collector.backward(loss.div(scalar(loss, normaliser)));
            }
            // one pass through the model: d(sum(gathered * g)) / d(gathered) = g
            NDArray surrogate = gathered.mul(detached.getGradient()).sum();
            if (surrogate.getDataType() == DataType.UNKNOWN) {
                surrogate = dev.tooltune.model.kernels.Kernels.toFloat32(surrogate); // DJL's backward seeds ones of the type: fp32
            }
            collector.backward(surrogate);
            return scalar(total);
        }
    }

    /** The weighted loss sum and the weight sum of a batch, without gradients. */
    public double[] evaluate(NDArray hidden, Batch batch, NDArray outputEmbedding, double softcap) {
        NDManager manager = hidden.getManager();
        Selection selection = select(manager, batch);
        if (selection.count == 0) {
            return new double[] {0, 0};
        }
        try (NDScope scope = new NDScope()) {
            long hiddenSize = hidden.getShape().get(hidden.getShape().dimension() - 1);
            NDArray gathered = hidden.reshape(-1, hiddenSize).get(selection.indices);
            if (Kernels.enabled(TrainingKernel.CROSS_ENTROPY)) {
                return new double[] {scalar(Kernels.linearCrossEntropy(gathered.stopGradient(), outputEmbedding,
                        selection.targets, selection.weights, softcap, chunk)), batch.trainedWeight()};
            }
            double total = 0;
            for (int start = 0; start < selection.count; start += chunk) {
                int end = Math.min(selection.count, start + chunk);
                total += scalar(chunkLoss(gathered.get(start + ":" + end), selection, start, end, outputEmbedding, softcap));
            }
            return new double[] {total, batch.trainedWeight()};
        }
    }

    private static NDArray chunkLoss(NDArray hidden, Selection selection, int start, int end, NDArray embedding, double softcap) {
        NDArray logits = hidden.matMul(embedding.transpose());                            // [c, V]
        if (logits.getDataType() == DataType.UNKNOWN) {
            // bf16 under autocast: the loss in fp32 (DJL's softmax cannot name bf16; its toType would detach)
            logits = dev.tooltune.model.kernels.Kernels.toFloat32(logits);
        }
        if (softcap > 0) {
            logits = logits.div(scalar(logits, softcap)).tanh().mul(scalar(logits, softcap));
        }
        NDArray logProbabilities = logits.logSoftmax(1);                                  // [c, V]
        NDArray targets = selection.targets.get(start + ":" + end).reshape(end - start, 1);
        NDArray picked = logProbabilities.gather(targets, 1).reshape(end - start);        // [c]
        return picked.mul(selection.weights.get(start + ":" + end)).sum().neg();
    }

    /**
     * A libtorch-owned scalar for arithmetic on tensors that carry gradients: DJL's div(Number) / mul(Number)
     * back the number with a Java buffer that it closes right away, while autograd keeps it for backward.
     */
    static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, dev.tooltune.model.kernels.Kernels.scalarType(like));
    }

    /**
     * A libtorch-owned copy of an array made from Java data. DJL wraps Java data in a tensor over a direct
     * buffer (from_blob) that lives only as long as the Java object, while autograd may keep the tensor
     * (gather and index save their indices) until backward.
     */
    static NDArray owned(NDArray fromJava) {
        NDArray copy = fromJava.duplicate();
        fromJava.close();
        return copy;
    }

    private static double scalar(NDArray value) {
        return value.toType(DataType.FLOAT64, false).getDouble();
    }

    private record Selection(int count, NDArray indices, NDArray targets, NDArray weights) {}

    private static Selection select(NDManager manager, Batch batch) {
        int count = 0;
        for (float w : batch.targetWeights()) {
            if (w != 0) {
                count++;
            }
        }
        long[] indices = new long[count];
        long[] targets = new long[count];
        float[] weights = new float[count];
        int k = 0;
        for (int i = 0; i < batch.targetWeights().length; i++) {
            if (batch.targetWeights()[i] != 0) {
                indices[k] = i;
                targets[k] = batch.targets()[i];
                weights[k] = batch.targetWeights()[i];
                k++;
            }
        }
        if (count == 0) {
            return new Selection(0, null, null, null);
        }
        return new Selection(count, owned(manager.create(indices)), owned(manager.create(targets)),
                owned(manager.create(weights, new Shape(count))));
    }
}
