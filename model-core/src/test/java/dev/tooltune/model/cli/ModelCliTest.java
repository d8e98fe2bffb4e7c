package dev.tooltune.model.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tooltune.chat.tokenizer.GemmaTokenizer;
import dev.tooltune.model.config.Gemma3Config;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCliTest {

    static String run(String... args) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = new ModelCli(new PrintStream(bytes, true, StandardCharsets.UTF_8)).run(args);
        assertEquals(0, status, bytes.toString(StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The real vocabulary (prompts are tokenized for real) on a very small body. */
    static Path smallConfig(Path dir) {
        Gemma3Config.Builder b = Gemma3Config.preset("tiny").toBuilder();
        b.hiddenSize = 16;
        b.intermediateSize = 32;
        b.numHiddenLayers = 2;
        b.layerTypes = java.util.List.of(Gemma3Config.SLIDING, Gemma3Config.FULL);
        b.numAttentionHeads = 2;
        b.numKeyValueHeads = 1;
        b.headDim = 8;
        b.queryPreAttnScalar = 8;
        Path config = dir.resolve("small.json");
        b.build().write(config);
        return config;
    }

    @Test
    void makesARandomCheckpointAndRunsAToolPromptOnIt(@TempDir Path dir) throws Exception {
        GemmaTokenizer.locate(); // the build fetches it; without it this test must fail, not skip
        Path config = smallConfig(dir);
        Path model = dir.resolve("model");
        String made = run("random-checkpoint", "--config", config.toString(), "--out", model.toString(), "--seed", "3",
                "--dtype", "bf16");
        assertTrue(made.contains("BF16"), made);
        assertTrue(Files.exists(model.resolve("model.safetensors")) && Files.exists(model.resolve("config.json")));
        assertTrue(Files.exists(model.resolve("tokenizer.json")), "the tokenizer travels with a full-vocabulary checkpoint");

        Path tools = dir.resolve("tools.json");
        Files.writeString(tools, """
                [{"type": "function", "function": {"name": "get_weather", "description": "Weather of a city",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]""");
        String output = run("generate", "--model", model.toString(), "--prompt", "Weather in Paris?", "--tools",
                tools.toString(), "--max-tokens", "6");
        assertTrue(output.contains("get_weather"), "the tools are rendered into the prompt:\n" + output);
        assertTrue(output.contains("Weather in Paris?<end_of_turn>"), "the user turn is rendered:\n" + output);
        assertTrue(output.contains("=== parsed ===") && output.contains("tokens/s"), output);
    }

    @Test
    void trainsAnAdapterFromJsonlAndGeneratesWithIt(@TempDir Path dir) throws Exception {
        GemmaTokenizer.locate(); // the build fetches it; without it this test must fail, not skip
        Path config = smallConfig(dir);
        Path model = dir.resolve("model");
        run("random-checkpoint", "--config", config.toString(), "--out", model.toString(), "--seed", "3");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, """
                {"messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\": \\"Paris\\"}"}}]}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}
                """);
        Path adapter = dir.resolve("adapter");
        String trained = run("train", "--model", model.toString(), "--data", data.toString(), "--out", adapter.toString(),
                "--epochs", "2", "--rank", "4", "--alpha", "8", "--batch-size", "1", "--lr", "1e-2");
        assertTrue(trained.contains("step 2/2"), "a progress line per optimizer step:\n" + trained);
        assertTrue(trained.contains("PEFT adapter written"), trained);
        assertEquals(4, dev.tooltune.model.lora.PeftAdapterFiles.readConfig(adapter).rank());
        assertTrue(Files.size(adapter.resolve("adapter_model.safetensors")) > 0);

        String generated = run("generate", "--model", model.toString(), "--adapter", adapter.toString(), "--example",
                data + ":1", "--max-tokens", "4");
        assertTrue(generated.contains("adapter " + adapter + " loaded"), generated);
        assertTrue(generated.contains("=== expected") && generated.contains("\"name\":\"get_weather\""), generated);

        Files.writeString(data, Files.readString(data) + "{not json\n");
        String message = assertThrows(IllegalArgumentException.class, () -> new ModelCli(new PrintStream(
                new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)).run(new String[] {"train", "--model",
                model.toString(), "--data", data.toString(), "--out", dir.resolve("other").toString()})).getMessage();
        assertTrue(message.contains("line 2"), "a bad line is named: " + message);
    }

    @Test
    void badArgumentsSayWhatIsWrong(@TempDir Path dir) throws Exception {
        ModelCli cli = new ModelCli(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String message = assertThrows(IllegalArgumentException.class, () -> cli.run(new String[] {"frobnicate"})).getMessage();
        assertTrue(message.contains("frobnicate"), message);
        message = assertThrows(IllegalArgumentException.class,
                () -> cli.run(new String[] {"random-checkpoint", "--config", "tiny"})).getMessage();
        assertTrue(message.contains("--out"), message);
        Path tools = dir.resolve("tools.json");
        Files.writeString(tools, "[{\"type\": \"function\", \"function\": {\"description\": \"no name\"}}]");
        message = assertThrows(IllegalArgumentException.class, () -> ModelCli.readTools(tools)).getMessage();
        assertTrue(message.contains("tools[0]"), message);
        assertTrue(run("info", "--model", "270m").contains("268,098,176"));
    }
}
