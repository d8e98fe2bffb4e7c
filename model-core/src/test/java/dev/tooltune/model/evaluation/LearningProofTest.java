package dev.tooltune.model.evaluation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.tooltune.chat.ChatExample;
import dev.tooltune.chat.ChatJson;
import dev.tooltune.chat.ChatMessage;
import dev.tooltune.chat.ToolCall;
import dev.tooltune.chat.ToolDefinition;
import dev.tooltune.chat.template.GemmaChatFormat;
import dev.tooltune.chat.template.TokenizedChat;
import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.config.Gemma3Config;
import dev.tooltune.model.gemma3.Gemma3Model;
import dev.tooltune.model.gemma3.RandomInit;
import dev.tooltune.model.lora.LoraConfig;
import dev.tooltune.model.training.EncodedExample;
import dev.tooltune.model.training.GemmaCausalLm;
import dev.tooltune.model.training.LearningRateSchedule;
import dev.tooltune.model.training.Trainer;
import dev.tooltune.model.training.TrainingConfig;
import dev.tooltune.model.training.TrainingListener;
import dev.tooltune.model.training.TrainingProgress;
import dev.tooltune.model.training.TrainingResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The learning proof: a tiny random Gemma 3 with the real 262,144-token tokenizer learns a small tool-calling
 * set with LoRA (loss down by at least 90%) and then generates exactly those tool calls, parsed back by the
 * ToolCallParser and scored by the evaluator.
 */
class LearningProofTest {

    @Test
    void tinyGemmaOverfitsToolCallsWithLoraAndGeneratesThem() throws Exception {
        List<ChatExample> examples = examples();
        GemmaChatFormat format = new GemmaChatFormat();
        try (GemmaTokenizer tokenizer = GemmaTokenizer.loadDefault();
                Gemma3Model model = Gemma3Model.random(Gemma3Config.preset("tiny"), new RandomInit(7, 0.3, 0.0),
                        DataType.FLOAT32, Device.cpu())) {
            assertEquals(262_144, tokenizer.vocabSize());
            List<EncodedExample> encoded = new ArrayList<>();
            for (ChatExample example : examples) {
                TokenizedChat chat = format.tokenize(example, tokenizer);
                encoded.add(new EncodedExample(chat.tokenIds(), chat.lossWeights()));
            }
            // one conversation per micro-batch, four accumulated: the same gradient as a batch of four, without padding
            // (padded Gemma batches gave non-finite gradients late in training; see model-core/TRAINING.md)
            TrainingConfig config = TrainingConfig.lora(new LoraConfig(16, 32, 0.0, Set.copyOf(LoraConfig.GEMMA_MODULES), false))
                    .withEpochs(50).withLearningRate(2e-2).withBatching(1, examples.size(), 512, false)
                    .withSchedule(3, LearningRateSchedule.Decay.LINEAR).withRegularisation(0.0, 1.0).withSeed(1)
                    .withLossChunk(32);
            GemmaCausalLm lm = new GemmaCausalLm(model);
            try (Trainer trainer = new Trainer(lm, config, encoded, List.of(), null)) {
                List<Double> losses = new ArrayList<>();
                TrainingResult result = trainer.run(new TrainingListener() {
                    @Override
                    public void onStep(TrainingProgress progress) {
                        losses.add(progress.loss());
                        if (progress.step() % 10 == 0) {
                            System.out.printf("learning proof: step %d loss %.4f lr %.2e grad norm %.3g %.0f tok/s%n", progress.step(),
                                    progress.loss(), progress.learningRate(), progress.gradientNorm(), progress.tokensPerSecond());
                        }
                    }
                }, null);
                double initial = losses.get(0); // the first step's loss is computed before any update
                double last = trainer.meanLoss(encoded);
                System.out.printf("learning proof: loss %.4f -> %.4f (%.1f%% down) in %d steps (%d skipped as non-finite), %s%n",
                        initial, last, 100 * (1 - last / initial), result.steps(), result.skippedSteps(), result.duration());
                assertTrue(last <= 0.1 * initial, "loss must fall by 90%: " + initial + " -> " + last);
                assertEquals(0, result.skippedSteps(), "no step may have a non-finite gradient");

                ToolCallEvaluator.Report report = new ToolCallEvaluator(model, tokenizer, 64, examples.size()).evaluate(examples);
                for (ToolCallEvaluator.ExampleResult r : report.examples()) {
                    System.out.printf("learning proof: example %d generated %s%n", r.index(), r.generated().replace("\n", "\\n"));
                }
                System.out.println("learning proof: " + report.metrics());
                assertEquals(1.0, report.metrics().exactMatch(), "every example's calls reproduced exactly");
                assertEquals(1.0, report.metrics().jsonValidityRate());
                for (int i = 0; i < examples.size(); i++) {
                    List<ToolCall> expected = ToolCallEvaluator.referenceCalls(examples.get(i));
                    List<ToolCall> got = report.examples().get(i).parsed().toolCalls();
                    assertEquals(expected.size(), got.size());
                    for (int c = 0; c < expected.size(); c++) {
                        assertEquals(expected.get(c).function().name(), got.get(c).function().name());
                        assertEquals(ChatJson.MAPPER.readTree(expected.get(c).function().arguments()),
                                ChatJson.MAPPER.readTree(got.get(c).function().arguments()));
                    }
                }
            }
        }
    }

    static List<ChatExample> examples() throws Exception {
        ToolDefinition weather = ToolDefinition.function("get_weather", "Current weather for a city",
                ChatJson.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},"
                        + "\"unit\":{\"type\":\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"city\"]}"));
        ToolDefinition convert = ToolDefinition.function("convert_currency", "Convert money between currencies",
                ChatJson.MAPPER.readTree("{\"type\":\"object\",\"properties\":{\"amount\":{\"type\":\"number\"},"
                        + "\"from\":{\"type\":\"string\"},\"to\":{\"type\":\"string\"}},\"required\":[\"amount\",\"from\",\"to\"]}"));
        List<ToolDefinition> tools = List.of(weather, convert);
        return List.of(
                new ChatExample(List.of(ChatMessage.user("What's the weather in Paris?"),
                        ChatMessage.assistantCalls(List.of(ToolCall.of("call_1", "get_weather", "{\"city\": \"Paris\"}")))), tools, null),
                new ChatExample(List.of(ChatMessage.user("How warm is it in Oslo, in fahrenheit?"),
                        ChatMessage.assistantCalls(List.of(ToolCall.of("call_1", "get_weather",
                                "{\"city\": \"Oslo\", \"unit\": \"fahrenheit\"}")))), tools, null),
                new ChatExample(List.of(ChatMessage.user("Convert 250 euros to dollars."),
                        ChatMessage.assistantCalls(List.of(ToolCall.of("call_1", "convert_currency",
                                "{\"amount\": 250, \"from\": \"EUR\", \"to\": \"USD\"}")))), tools, null),
                new ChatExample(List.of(ChatMessage.user("Weather in Rome and in Tokyo please."),
                        ChatMessage.assistantCalls(List.of(
                                ToolCall.of("call_1", "get_weather", "{\"city\": \"Rome\"}"),
                                ToolCall.of("call_2", "get_weather", "{\"city\": \"Tokyo\"}")))), tools, null));
    }
}
