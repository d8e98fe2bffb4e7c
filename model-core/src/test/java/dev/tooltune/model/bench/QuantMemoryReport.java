package dev.tooltune.model.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.quant.Nf4Linear;
import dev.tooltune.model.training.GemmaCausalLm;
import java.nio.file.Path;

/**
 * Weight memory of a Gemma 3 configuration in fp32, fp16 and NF4 (QLoRA storage: projections NF4 with
 * double-quantised scales, embeddings and norms in 16 bit), computed from the shapes, plus the measured
 * device bytes of one real NF4 layer and the logit error NF4 introduces on the parity model.
 * Usage: QuantMemoryReport CONFIG_JSON LAYER_ROWS LAYER_COLUMNS PARITY_DIR
 */
public final class QuantMemoryReport {

    public static void main(String[] args) throws Exception {
        Gemma3Config config = Gemma3Config.load(Path.of(args[0]));
        long rows = Long.parseLong(args[1]);
        long columns = Long.parseLong(args[2]);
        long h = config.hiddenSize();
        long q = (long) config.numAttentionHeads() * config.headDim();
        long kv = (long) config.numKeyValueHeads() * config.headDim();
        long inter = config.intermediateSize();
        long perLayerProjections = h * q + 2 * h * kv + q * h + 3 * h * inter;
        long projections = perLayerProjections * config.numHiddenLayers();
        long embedding = (long) config.vocabSize() * h;
        long norms = config.numHiddenLayers() * (4 * h + 2L * config.headDim()) + h;
        long total = projections + embedding + norms;
        double nf4BytesPerValue = 0.5 + 1.0 / 64 + 4.0 / (64 * 256);
        double gib = 1024.0 * 1024 * 1024;
        System.out.printf("| configuration | parameters | projections | embedding | norms |%n| --- | --- | --- | --- | --- |%n");
        System.out.printf("| %s | %,d | %,d | %,d | %,d |%n%n", args[0], total, projections, embedding, norms);
        System.out.printf("| storage | bytes | GiB |%n| --- | --- | --- |%n");
        System.out.printf("| fp32 (all weights) | %,d | %.2f |%n", 4 * total, 4 * total / gib);
        System.out.printf("| fp16 / bf16 (all weights) | %,d | %.2f |%n", 2 * total, 2 * total / gib);
        long nf4 = (long) Math.ceil(projections * nf4BytesPerValue) + 4L * 7 * config.numHiddenLayers();
        System.out.printf("| NF4 projections (%.4f bytes/value) + fp16 embedding and norms | %,d | %.2f |%n",
                nf4BytesPerValue, nf4 + 2 * (embedding + norms), (nf4 + 2 * (embedding + norms)) / gib);
        System.out.printf("| NF4 projections only (vs %.2f GiB fp16) | %,d | %.2f |%n%n", 2 * projections / gib, nf4, nf4 / gib);

        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray weight = manager.randomNormal(0, 0.02f, new Shape(rows, columns), DataType.FLOAT32);
            long denseBytes = weight.size() * 4;
            try (Nf4Linear layer = Nf4Linear.quantize(manager, weight)) {
                System.out.printf("Measured, one [%d, %d] projection (a 4B MLP matrix): fp32 NDArray %,d bytes, NF4 NDArrays %,d bytes"
                        + " (%.4f bytes/value, %.2fx smaller than fp32, %.2fx than fp16)%n%n", rows, columns, denseBytes,
                        layer.storageBytes(), layer.storageBytes() / (double) weight.size(),
                        denseBytes / (double) layer.storageBytes(), denseBytes / 2.0 / layer.storageBytes());
                NDArray restored = layer.dequantize(DataType.FLOAT32);
                double error = restored.sub(weight).square().sum().getFloat() / weight.square().sum().getFloat();
                System.out.printf("Round trip of that matrix (Gaussian, std 0.02): relative RMS error %.4f%n%n", Math.sqrt(error));
            }
        }

        if (args.length > 3) {
            Path parity = Path.of(args[3]);
            try (NDManager manager = NDManager.newBaseManager();
                    Gemma3Model model = Gemma3Model.load(parity.resolve("tiny"))) {
                var cases = new com.fasterxml.jackson.databind.ObjectMapper().readTree(parity.resolve("cases.json").toFile()).get("single");
                var ids = cases.get("input_ids").get(0);
                long[] tokens = new long[ids.size()];
                long[] positions = new long[ids.size()];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = ids.get(i).asLong();
                    positions[i] = i;
                }
                NDArray idArray = manager.create(tokens, new Shape(1, tokens.length));
                NDArray positionArray = manager.create(positions, new Shape(1, tokens.length));
                NDArray reference = model.forward(ModelInput.of(idArray, positionArray), false);
                long bytes = new GemmaCausalLm(model).quantizeProjections();
                NDArray quantised = model.forward(ModelInput.of(idArray, positionArray), false);
                double maxRef = reference.abs().max().getFloat();
                double maxErr = quantised.sub(reference).abs().max().getFloat();
                long agree = quantised.argMax(-1).eq(reference.argMax(-1)).sum().getLong();
                System.out.printf("NF4 on the parity model (tiny/, case `single`, 24 tokens): max |logit error| %.4f, relative to max |logit| %.4f,"
                        + " %.3f; argmax agreement %d/%d; NF4 projection storage %,d bytes%n", maxErr, maxRef, maxErr / maxRef,
                        agree, tokens.length, bytes);
            }
        }
    }
}
