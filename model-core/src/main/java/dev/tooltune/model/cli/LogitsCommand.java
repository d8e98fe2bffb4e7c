package dev.tooltune.model.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.ModelInput;
import dev.tooltune.model.lora.LoraAdapter;
import dev.tooltune.model.lora.PeftAdapterFiles;
import dev.tooltune.model.training.GemmaCausalLm;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * {@code model-cli logits}: the fp32 logits [T,V] of one token sequence, written as raw little-endian float32, for
 * comparing our forward pass (and a PEFT adapter on top of it) with transformers (scripts/interop-check.sh).
 */
final class LogitsCommand {

    static final String USAGE =
            "  logits --model DIR [--adapter PEFT_DIR] --tokens 2,106,1645,... --out logits.f32";

    private final PrintStream out;

    LogitsCommand(PrintStream out) {
        this.out = out;
    }

    int run(Map<String, String> options) {
        Path modelDir = Path.of(ModelCli.required(options, "--model"));
        long[] tokens = Arrays.stream(ModelCli.required(options, "--tokens").split(",")).mapToLong(Long::parseLong).toArray();
        Path target = Path.of(ModelCli.required(options, "--out"));
        try (Gemma3Model model = Gemma3Model.load(modelDir)) {
            LoraAdapter adapter = null;
            if (options.containsKey("--adapter")) {
                GemmaCausalLm lm = new GemmaCausalLm(model);
                adapter = PeftAdapterFiles.load(Path.of(options.get("--adapter")), lm.manager(), lm.projections());
                adapter.attach();
            }
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray ids = scope.create(tokens, new Shape(1, tokens.length));
                NDArray positions = scope.arange(0, tokens.length, 1, DataType.INT64).reshape(1, tokens.length);
                float[] logits = model.forward(ModelInput.of(ids, positions), false).toType(DataType.FLOAT32, false).toFloatArray();
                ByteBuffer buffer = ByteBuffer.allocate(logits.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                buffer.asFloatBuffer().put(logits);
                Files.write(target, buffer.array());
                out.printf("wrote %d x %d logits to %s%n", tokens.length, logits.length / tokens.length, target);
            } finally {
                if (adapter != null) {
                    adapter.close();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
