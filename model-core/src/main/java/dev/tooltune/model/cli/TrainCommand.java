package dev.tooltune.model.cli;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.lora.PeftAdapterFiles;
import dev.tooltune.model.training.CancellationToken;
import dev.tooltune.model.training.ChatExampleEncoder;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingMethod;
import dev.tooltune.model.training.TrainingProgress;
import dev.tooltune.model.training.TrainingResult;
import dev.tooltune.model.training.TruncationReport;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code model-cli train}: fine-tunes a checkpoint on a JSONL file of OpenAI-format tool-calling conversations
 * and writes a PEFT adapter (lora, qlora) or a full Hugging Face checkpoint (full). The same trainer that
 * trainer-service will drive; here its progress goes to the terminal.
 */
final class TrainCommand {

    static final String USAGE = String.join("\n",
            "  train --model DIR --data train.jsonl --out DIR [--eval eval.jsonl] [--method lora|qlora|full]",
            "        [--epochs 3] [--lr 2e-4] [--batch-size 4] [--grad-accum 1] [--max-length 1024] [--pack]",
            "        [--rank 16] [--alpha 32] [--dropout 0.05] [--targets q,k,v,o,gate,up,down] [--rslora]",
            "        [--warmup 0] [--schedule cosine|linear|constant] [--eval-every 0] [--limit N] [--seed 42]");

    private final PrintStream out;

    TrainCommand(PrintStream out) {
        this.out = out;
    }

    int run(Map<String, String> options) {
        Path modelDir = Path.of(ModelCli.required(options, "--model"));
        Path data = Path.of(ModelCli.required(options, "--data"));
        Path outDir = Path.of(ModelCli.required(options, "--out"));
        TrainingMethod method = TrainingMethod.valueOf(options.getOrDefault("--method", "lora").toUpperCase(Locale.ROOT));
        int limit = ModelCli.intOption(options, "--limit", Integer.MAX_VALUE);
        TrainingConfig config = trainingConfig(options, method);

        GemmaTokenizer tokenizer = Files.isRegularFile(modelDir.resolve("tokenizer.json"))
                ? GemmaTokenizer.load(modelDir.resolve("tokenizer.json")) : GemmaTokenizer.loadDefault();
        List<EncodedExample> train = encode(data, tokenizer, limit);
        List<EncodedExample> eval = options.containsKey("--eval")
                ? encode(Path.of(options.get("--eval")), tokenizer, limit) : List.of();
        out.printf(Locale.ROOT, "data: %d training examples (%,d tokens), %d eval examples%n", train.size(),
                train.stream().mapToLong(EncodedExample::length).sum(), eval.size());

        try (Gemma3Model model = Gemma3Model.load(modelDir, DataType.FLOAT32, Device.cpu())) {
            GemmaCausalLm lm = new GemmaCausalLm(model);
            if (method == TrainingMethod.QLORA) {
                long bytes = lm.quantizeProjections();
                out.printf(Locale.ROOT, "base projections quantised to NF4: %.1f MiB%n", bytes / 1048576.0);
            }
            try (Trainer trainer = new Trainer(lm, config, train, eval, outDir.resolve("checkpoints"))) {
                out.printf(Locale.ROOT, "training %s: %d optimizer steps, %d trainable parameters%n", method,
                        trainer.totalSteps(), trainer.parameters().stream().mapToLong(p -> p.size()).sum());
                TrainingResult result = trainer.run(new ProgressPrinter(out), new CancellationToken());
                out.printf(Locale.ROOT, "done: %s after %d steps in %s; last loss %.4f%s%n", result.status(), result.steps(),
                        format(result.duration()), result.lastLoss(),
                        Double.isNaN(result.lastEvalLoss()) ? "" : String.format(Locale.ROOT, ", eval loss %.4f", result.lastEvalLoss()));
                if (method == TrainingMethod.FULL) {
                    model.save(outDir);
                    out.println("full checkpoint written to " + outDir);
                } else {
                    PeftAdapterFiles.save(trainer.adapter(), outDir, modelDir.toAbsolutePath().toString());
                    out.println("PEFT adapter written to " + outDir);
                }
            }
        }
        return 0;
    }

    /**
     * {@link TrainingConfig#defaults} for the method, overridden only by the options actually given: restating a
     * default here would hide the method's own (full fine-tuning has a 10x lower learning rate than LoRA).
     */
    static TrainingConfig trainingConfig(Map<String, String> options, TrainingMethod method) {
        TrainingConfig config = TrainingConfig.defaults(method);
        if (method != TrainingMethod.FULL) {
            LoraConfig base = config.lora();
            LinkedHashSet<String> targets = options.containsKey("--targets")
                    ? new LinkedHashSet<>(Arrays.asList(options.get("--targets").split(","))) : new LinkedHashSet<>(base.targetModules());
            config = config.withLora(new LoraConfig(ModelCli.intOption(options, "--rank", base.rank()),
                    ModelCli.doubleOption(options, "--alpha", base.alpha()),
                    ModelCli.doubleOption(options, "--dropout", base.dropout()), targets,
                    options.containsKey("--rslora") || base.useRslora()));
        }
        return config
                .withEpochs(ModelCli.intOption(options, "--epochs", config.epochs()))
                .withLearningRate(ModelCli.doubleOption(options, "--lr", config.learningRate()))
                .withBatching(ModelCli.intOption(options, "--batch-size", config.batchSize()),
                        ModelCli.intOption(options, "--grad-accum", config.gradientAccumulation()),
                        ModelCli.intOption(options, "--max-length", config.maxLength()),
                        options.containsKey("--pack") || config.packing())
                .withSchedule(ModelCli.intOption(options, "--warmup", config.warmupSteps()),
                        options.containsKey("--schedule")
                                ? LearningRateSchedule.Decay.valueOf(options.get("--schedule").toUpperCase(Locale.ROOT))
                                : config.decay())
                .withSeed(options.containsKey("--seed") ? ModelCli.intOption(options, "--seed", 0) : config.seed())
                .withEvalAndCheckpoints(ModelCli.intOption(options, "--eval-every", config.evalEvery()), config.checkpointEvery());
    }

    /** Reads OpenAI-format JSONL; a line that does not parse or format is an error naming the file and line. */
    private static List<EncodedExample> encode(Path file, GemmaTokenizer tokenizer, int limit) {
        List<EncodedExample> examples;
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            examples = new ChatExampleEncoder(tokenizer).readJsonl(reader, file.toString(), limit).encoded();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (examples.isEmpty()) {
            throw new IllegalArgumentException(file + " holds no examples");
        }
        return examples;
    }

    private static String format(Duration d) {
        long s = d.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%dh%02dm%02ds", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%dm%02ds", s / 60, s % 60);
    }

    /** One line per optimizer step: a bar, loss, learning rate, speed and time left. */
    private static final class ProgressPrinter implements TrainingListener {
        private final PrintStream out;

        ProgressPrinter(PrintStream out) {
            this.out = out;
        }

        @Override
        public void onTruncation(TruncationReport report) {
            out.println("truncation: " + report);
        }

        @Override
        public void onStep(TrainingProgress p) {
            int width = 24;
            int filled = (int) Math.round(width * (double) p.step() / Math.max(1, p.totalSteps()));
            out.printf(Locale.ROOT, "[%s%s] step %d/%d epoch %.2f loss %.4f lr %.2e grad-norm %.3f %.0f tokens/s ETA %s%n",
                    "#".repeat(filled), ".".repeat(width - filled), p.step(), p.totalSteps(), p.epoch(), p.loss(),
                    p.learningRate(), p.gradientNorm(), p.tokensPerSecond(), format(p.eta()));
        }

        @Override
        public void onEvalLoss(long step, double evalLoss) {
            out.printf(Locale.ROOT, "eval loss after step %d: %.4f%n", step, evalLoss);
        }
    }
}
